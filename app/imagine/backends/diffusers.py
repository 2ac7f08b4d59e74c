"""A diffusers pipeline in the worker process, loaded from a local model folder.

The pipeline loads on first use, after the worker has forked, and stays loaded
for the life of the process. Nothing is ever fetched from a model hub.
"""

import asyncio
import io
import os
import random
import threading
from pathlib import Path
from typing import Any

import structlog

from app.imagine.backends.base import BackendRefused, GenerationSpec

log = structlog.get_logger(__name__)

_pipelines: dict[tuple[str, str], Any] = {}
_load_lock = threading.Lock()
# One generation at a time per process: a pipeline is not safe to share.
_run_lock = threading.Lock()


def _device(requested: str | None) -> str:
    import torch

    if requested:
        return requested
    return "cuda" if torch.cuda.is_available() else "cpu"


def load_pipeline(model_dir: str, device: str) -> Any:
    """The text-to-image pipeline of ``model_dir`` on ``device``, loaded once."""
    key = (model_dir, device)
    with _load_lock:
        if key not in _pipelines:
            _pipelines[key] = _load(model_dir, device)
        return _pipelines[key]


def _load(model_dir: str, device: str) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from diffusers import AutoPipelineForText2Image

    if not Path(model_dir, "model_index.json").is_file():
        raise BackendRefused(
            f"ROSTRO_IMAGINE_MODEL={model_dir} is not a diffusers model folder "
            "(it has no model_index.json)."
        )
    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    # Typed as Any: diffusers' own annotations are partial.
    loader: Any = AutoPipelineForText2Image
    pipeline = loader.from_pretrained(
        model_dir, dtype=dtype, local_files_only=True, safety_checker=None
    ).to(device)
    pipeline.set_progress_bar_config(disable=True)
    log.info("imagine.diffusers_loaded", device=device)
    return pipeline


def pipeline_for(model_dir: str, device: str, kind: str) -> Any:
    """The pipeline for ``kind``, sharing the weights of the loaded one."""
    from diffusers import AutoPipelineForImage2Image, AutoPipelineForInpainting

    base = load_pipeline(model_dir, device)
    if kind == "text_to_image":
        return base
    kinds = {
        "image_to_image": AutoPipelineForImage2Image,
        "inpainting": AutoPipelineForInpainting,
    }
    key = (model_dir, f"{device}:{kind}")
    with _load_lock:
        if key not in _pipelines:
            _pipelines[key] = kinds[kind].from_pipe(base)
            _pipelines[key].set_progress_bar_config(disable=True)
        return _pipelines[key]


def run(model_dir: str, device: str, spec: GenerationSpec) -> list[bytes]:
    """Generate ``spec`` synchronously; PNG bytes of each image."""
    import torch
    from PIL import Image

    pipeline = pipeline_for(model_dir, device, spec.kind)
    seed = spec.seed if spec.seed >= 0 else random.randrange(2**32)
    arguments: dict[str, Any] = {
        "prompt": spec.prompt,
        "negative_prompt": spec.negative_prompt or None,
        "num_inference_steps": spec.steps,
        "guidance_scale": spec.guidance_scale,
        "num_images_per_prompt": spec.num_images,
        "generator": torch.Generator(device).manual_seed(seed),
    }
    if spec.kind == "text_to_image":
        arguments.update(height=spec.height, width=spec.width)
    else:
        assert spec.init_image is not None
        size = (spec.width, spec.height)
        arguments["image"] = _rgb(spec.init_image).resize(size)
        arguments["strength"] = spec.strength
    if spec.kind == "inpainting" and spec.mask_image is not None:
        arguments["mask_image"] = _rgb(spec.mask_image).resize(size)
        arguments.update(height=spec.height, width=spec.width)
    with _run_lock, torch.inference_mode():
        images: list[Image.Image] = pipeline(**arguments).images
    return [_png(image) for image in images]


def _rgb(data: bytes) -> Any:
    from PIL import Image

    return Image.open(io.BytesIO(data)).convert("RGB")


def _png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class DiffusersBackend:
    name = "diffusers"

    def __init__(self, model_dir: str, *, device: str | None = None) -> None:
        self.model_dir = model_dir
        self.device = device

    async def generate(self, spec: GenerationSpec) -> list[bytes]:
        device = _device(self.device)
        return await asyncio.to_thread(run, self.model_dir, device, spec)

    async def aclose(self) -> None:
        return None
