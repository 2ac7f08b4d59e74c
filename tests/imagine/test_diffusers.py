"""The diffusers back end on a tiny pipeline with random weights, built here.

No real weights can be downloaded; a randomly initialised Stable Diffusion of a
few thousand parameters exercises the same loading and generation code.
"""

import asyncio
import io
import json
from pathlib import Path

import pytest
from PIL import Image

from app.imagine.backends.base import BackendRefused, GenerationSpec
from tests.imagine.fakes import png

pytest.importorskip("diffusers")

SPEC = GenerationSpec(
    kind="text_to_image",
    prompt="a red door",
    negative_prompt="blur",
    seed=3,
    width=64,
    height=64,
    steps=2,
    guidance_scale=5.0,
    strength=0.5,
    num_images=2,
)


def _tokenizer(directory: Path) -> object:
    from transformers import CLIPTokenizer

    # A character-level vocabulary: enough for CLIP's tokenizer to run offline.
    vocab = {"<|startoftext|>": 0, "!": 1, "<|endoftext|>": 2}
    for code in range(33, 127):
        for token in (chr(code), chr(code) + "</w>"):
            vocab.setdefault(token, len(vocab))
    (directory / "vocab.json").write_text(json.dumps(vocab))
    (directory / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(
        str(directory / "vocab.json"),
        str(directory / "merges.txt"),
        model_max_length=16,
    )


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    import torch
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    directory = tmp_path_factory.mktemp("tiny-sd")
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=8,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16,
        norm_num_groups=4,
        attention_head_dim=2,
    )
    vae = AutoencoderKL(
        block_out_channels=[8, 16],
        down_block_types=["DownEncoderBlock2D"] * 2,
        up_block_types=["UpDecoderBlock2D"] * 2,
        latent_channels=4,
        norm_num_groups=4,
    )
    text = CLIPTextModel(
        CLIPTextConfig(
            hidden_size=16,
            intermediate_size=32,
            num_attention_heads=2,
            num_hidden_layers=1,
            vocab_size=200,
            projection_dim=16,
        )
    )
    pipeline = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text,
        tokenizer=_tokenizer(directory),
        unet=unet,
        scheduler=DDIMScheduler(clip_sample=False, steps_offset=1),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipeline.save_pretrained(directory / "model")
    return str(directory / "model")


def _sizes(images: list[bytes]) -> list[tuple[int, int]]:
    return [Image.open(io.BytesIO(image)).size for image in images]


class TestDiffusers:
    def test_text_to_image_is_seeded(self, model_dir: str) -> None:
        from app.imagine.backends.diffusers import DiffusersBackend

        backend = DiffusersBackend(model_dir, device="cpu")

        first = asyncio.run(backend.generate(SPEC))
        again = asyncio.run(backend.generate(SPEC))

        assert _sizes(first) == [(64, 64), (64, 64)]
        assert first == again

    @pytest.mark.parametrize("kind", ["image_to_image", "inpainting"])
    def test_image_kinds(self, model_dir: str, kind: str) -> None:
        from app.imagine.backends.diffusers import DiffusersBackend

        backend = DiffusersBackend(model_dir, device="cpu")
        spec = GenerationSpec(
            **{**SPEC.__dict__, "kind": kind, "num_images": 1, "steps": 4},
        )
        spec = GenerationSpec(
            **{
                **spec.__dict__,
                "init_image": png(48, 48),
                "mask_image": png(48, 48, seed=3),
            }
        )

        images = asyncio.run(backend.generate(spec))

        assert _sizes(images) == [(64, 64)]

    def test_a_folder_that_is_no_model_is_refused(self, tmp_path: Path) -> None:
        from app.imagine.backends.diffusers import DiffusersBackend

        backend = DiffusersBackend(str(tmp_path), device="cpu")

        with pytest.raises(BackendRefused, match="model_index.json"):
            asyncio.run(backend.generate(SPEC))
