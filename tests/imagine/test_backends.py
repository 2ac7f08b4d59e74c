"""Each back-end client against a loopback server that speaks its API."""

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from app.imagine.backends.automatic1111 import Automatic1111Backend
from app.imagine.backends.base import (
    BackendMalformed,
    BackendRefused,
    BackendTimeout,
    BackendUnavailable,
    GenerationSpec,
)
from app.imagine.backends.comfyui import ComfyUIBackend, fill, load_templates
from app.imagine.backends.openai import OpenAIImagesBackend
from tests.imagine.fakes import (
    Behaviour,
    FakeServer,
    automatic1111_app,
    comfyui_app,
    free_port,
    openai_app,
    png,
)

TEXT = GenerationSpec(
    kind="text_to_image",
    prompt="a lighthouse at dusk",
    negative_prompt="blurry",
    seed=7,
    width=128,
    height=192,
    steps=4,
    guidance_scale=6.5,
    strength=0.75,
    num_images=2,
)
INPAINT = GenerationSpec(
    kind="inpainting",
    prompt="a red door",
    negative_prompt="",
    seed=-1,
    width=64,
    height=64,
    steps=4,
    guidance_scale=7.0,
    strength=0.6,
    num_images=1,
    init_image=png(32, 32),
    mask_image=png(32, 32, seed=1),
)


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        return image.size


@pytest.fixture
def behaviour() -> Behaviour:
    return Behaviour()


@pytest.fixture
def a1111(behaviour: Behaviour) -> Iterator[FakeServer]:
    server = FakeServer(automatic1111_app(behaviour)).start()
    yield server
    server.stop()


@pytest.fixture
def comfy(behaviour: Behaviour) -> Iterator[FakeServer]:
    server = FakeServer(comfyui_app(behaviour)).start()
    yield server
    server.stop()


@pytest.fixture
def openai(behaviour: Behaviour) -> Iterator[FakeServer]:
    behaviour.api_key = "sk-test"
    server = FakeServer(openai_app(behaviour)).start()
    yield server
    server.stop()


class TestAutomatic1111:
    async def test_text_to_image_sends_the_fields_and_returns_pngs(
        self, a1111: FakeServer, behaviour: Behaviour
    ) -> None:
        backend = Automatic1111Backend(
            a1111.url,
            timeout=5,
            model="sdxl.safetensors",
            options={"sampler_name": "Euler a"},
        )

        images = await backend.generate(TEXT)
        await backend.aclose()

        body = behaviour.calls[0]["body"]
        assert behaviour.calls[0]["path"] == "/sdapi/v1/txt2img"
        assert [_size(image) for image in images] == [(128, 192), (128, 192)]
        assert body["cfg_scale"] == 6.5
        assert body["seed"] == 7
        assert body["batch_size"] == 2
        assert body["sampler_name"] == "Euler a"
        assert body["override_settings"] == {"sd_model_checkpoint": "sdxl.safetensors"}

    async def test_inpainting_posts_img2img_with_the_mask(
        self, a1111: FakeServer, behaviour: Behaviour
    ) -> None:
        backend = Automatic1111Backend(a1111.url, timeout=5)

        images = await backend.generate(INPAINT)
        await backend.aclose()

        body = behaviour.calls[0]["body"]
        assert behaviour.calls[0]["path"] == "/sdapi/v1/img2img"
        assert len(images) == 1
        assert body["denoising_strength"] == 0.6
        assert body["mask"]
        assert body["init_images"]

    @pytest.mark.parametrize(
        ("mode", "error", "text"),
        [
            ("refuse", BackendRefused, "Sampler not found"),
            ("malformed", BackendMalformed, "base64"),
            ("broken", BackendUnavailable, "HTTP 500"),
            ("slow", BackendTimeout, "in time"),
        ],
    )
    async def test_failures_are_mapped(
        self,
        a1111: FakeServer,
        behaviour: Behaviour,
        mode: str,
        error: type[Exception],
        text: str,
    ) -> None:
        behaviour.mode, behaviour.delay = mode, 2.0
        backend = Automatic1111Backend(a1111.url, timeout=0.5)

        with pytest.raises(error, match=text):
            await backend.generate(TEXT)
        await backend.aclose()

    async def test_server_down_is_unavailable(self) -> None:
        backend = Automatic1111Backend(f"http://127.0.0.1:{free_port()}", timeout=2)

        with pytest.raises(BackendUnavailable, match="could not be reached"):
            await backend.generate(TEXT)
        await backend.aclose()


class TestComfyUI:
    async def test_builtin_workflow_is_filled_and_images_fetched(
        self, comfy: FakeServer, behaviour: Behaviour
    ) -> None:
        backend = ComfyUIBackend(
            comfy.url, timeout=5, templates=load_templates(None), model="v15.ckpt"
        )

        images = await backend.generate(TEXT)
        await backend.aclose()

        graph = behaviour.calls[0]["body"]["prompt"]
        assert [_size(image) for image in images] == [(128, 192), (128, 192)]
        assert graph["3"]["inputs"]["seed"] == 7
        assert graph["3"]["inputs"]["cfg"] == 6.5
        assert graph["5"]["inputs"] == {"width": 128, "height": 192, "batch_size": 2}
        assert graph["4"]["inputs"]["ckpt_name"] == "v15.ckpt"
        assert graph["6"]["inputs"]["text"] == "a lighthouse at dusk"

    async def test_inpainting_template_gets_uploaded_images(
        self, comfy: FakeServer, behaviour: Behaviour, tmp_path: Path
    ) -> None:
        template = {
            "1": {"class_type": "LoadImage", "inputs": {"image": "{{init_image}}"}},
            "2": {"class_type": "LoadImageMask", "inputs": {"image": "{{mask_image}}"}},
            "5": {
                "class_type": "EmptyLatentImage",
                "inputs": {
                    "width": "{{width}}",
                    "height": "{{height}}",
                    "batch_size": 1,
                },
            },
            "6": {
                "class_type": "Note",
                "inputs": {"text": "seed {{seed}}, {{prompt}}"},
            },
        }
        (tmp_path / "inpainting.json").write_text(json.dumps(template))
        templates = load_templates(tmp_path)
        backend = ComfyUIBackend(comfy.url, timeout=5, templates=templates)

        images = await backend.generate(INPAINT)
        await backend.aclose()

        uploads = [c["name"] for c in behaviour.calls if c["path"] == "/upload/image"]
        graph = behaviour.calls[-1]["body"]["prompt"]
        assert set(templates) == {"text_to_image", "inpainting"}
        assert len(images) == 1
        assert graph["1"]["inputs"]["image"] == uploads[0]
        assert graph["2"]["inputs"]["image"] == uploads[1]
        assert graph["6"]["inputs"]["text"].endswith(", a red door")

    @pytest.mark.parametrize(
        ("mode", "error", "text"),
        [
            ("refuse", BackendRefused, "failed validation"),
            ("fail", BackendRefused, "CUDA out of memory"),
            ("malformed", BackendMalformed, "not an image"),
            ("broken", BackendUnavailable, "HTTP 500"),
            ("slow", BackendTimeout, "in time"),
        ],
    )
    async def test_failures_are_mapped(
        self,
        comfy: FakeServer,
        behaviour: Behaviour,
        mode: str,
        error: type[Exception],
        text: str,
    ) -> None:
        behaviour.mode, behaviour.delay = mode, 2.0
        backend = ComfyUIBackend(comfy.url, timeout=0.5, templates=load_templates(None))

        with pytest.raises(error, match=text):
            await backend.generate(TEXT)
        await backend.aclose()


class TestFill:
    def test_whole_placeholders_keep_their_type_and_others_stay(self) -> None:
        node = {"a": "{{seed}}", "b": ["x {{seed}} y", "{{unknown}}"], "c": 3}

        filled = fill(node, {"seed": 42})

        assert filled == {"a": 42, "b": ["x 42 y", "{{unknown}}"], "c": 3}


class TestOpenAI:
    async def test_generations_with_key_model_and_size(
        self, openai: FakeServer, behaviour: Behaviour
    ) -> None:
        backend = OpenAIImagesBackend(
            openai.url + "/v1", timeout=5, api_key="sk-test", model="dall-e-2"
        )

        images = await backend.generate(TEXT)
        await backend.aclose()

        body = behaviour.calls[0]["body"]
        assert [_size(image) for image in images] == [(128, 192), (128, 192)]
        assert body == {
            "prompt": "a lighthouse at dusk",
            "n": 2,
            "size": "128x192",
            "response_format": "b64_json",
            "model": "dall-e-2",
        }

    async def test_edits_send_image_and_mask(
        self, openai: FakeServer, behaviour: Behaviour
    ) -> None:
        backend = OpenAIImagesBackend(openai.url, timeout=5, api_key="sk-test")

        images = await backend.generate(INPAINT)
        await backend.aclose()

        assert len(images) == 1
        assert behaviour.calls[0]["path"] == "edits"
        assert behaviour.calls[0]["mask"] is True

    async def test_url_answers_are_downloaded(
        self, openai: FakeServer, behaviour: Behaviour
    ) -> None:
        behaviour.mode = "url"
        backend = OpenAIImagesBackend(openai.url, timeout=5, api_key="sk-test")

        images = await backend.generate(TEXT)
        await backend.aclose()

        assert [_size(image) for image in images] == [(128, 192), (128, 192)]

    async def test_a_wrong_key_is_refused(self, openai: FakeServer) -> None:
        backend = OpenAIImagesBackend(openai.url, timeout=5, api_key="sk-wrong")

        with pytest.raises(BackendRefused, match="Incorrect API key"):
            await backend.generate(TEXT)
        await backend.aclose()

    @pytest.mark.parametrize(
        ("mode", "error", "text"),
        [
            ("refuse", BackendRefused, "safety system"),
            ("malformed", BackendMalformed, "too few images"),
            ("broken", BackendUnavailable, "HTTP 500"),
            ("slow", BackendTimeout, "in time"),
        ],
    )
    async def test_failures_are_mapped(
        self,
        openai: FakeServer,
        behaviour: Behaviour,
        mode: str,
        error: type[Exception],
        text: str,
    ) -> None:
        behaviour.mode, behaviour.delay = mode, 2.0
        backend = OpenAIImagesBackend(openai.url, timeout=0.5, api_key="sk-test")

        with pytest.raises(error, match=text):
            await backend.generate(TEXT)
        await backend.aclose()
