"""ComfyUI: a workflow template with placeholders, ``POST /prompt``, polling
``GET /history/{id}``, then the images from ``GET /view``.

Templates are workflows in ComfyUI's API format. A string value that is exactly
a placeholder (``"{{seed}}"``) becomes the typed value; a placeholder inside a
longer string is replaced by its text. Placeholders: prompt, negative_prompt,
seed, width, height, steps, cfg, denoise, batch_size, model, sampler_name,
scheduler, init_image and mask_image (names of uploaded images).
"""

import asyncio
import json
import random
import re
import uuid
from importlib import resources
from pathlib import Path
from typing import Any

from app.imagine.backends.base import (
    BackendMalformed,
    BackendRefused,
    BackendTimeout,
    GenerationSpec,
    checked_image,
)
from app.imagine.backends.http import make_client, send, send_json

POLL_SECONDS = 0.25
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
TEMPLATE_KINDS = ("text_to_image", "image_to_image", "inpainting")


def builtin_template() -> dict[str, Any]:
    text = (
        resources.files("app.imagine.backends")
        .joinpath("comfyui_text_to_image.json")
        .read_text("utf-8")
    )
    template: dict[str, Any] = json.loads(text)
    return template


def load_templates(directory: Path | None) -> dict[str, dict[str, Any]]:
    """The workflow of each generation type: ``<type>.json`` in ``directory``,
    with a built-in text-to-image workflow when none is given."""
    templates = {"text_to_image": builtin_template()}
    for kind in TEMPLATE_KINDS:
        path = directory / f"{kind}.json" if directory else None
        if path is not None and path.is_file():
            templates[kind] = json.loads(path.read_text("utf-8"))
    return templates


def fill(node: Any, values: dict[str, Any]) -> Any:
    """``node`` with every placeholder replaced by its value."""
    if isinstance(node, dict):
        return {key: fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [fill(value, values) for value in node]
    if not isinstance(node, str):
        return node
    whole = PLACEHOLDER.fullmatch(node)
    if whole and whole.group(1) in values:
        return values[whole.group(1)]
    return PLACEHOLDER.sub(
        lambda match: str(values.get(match.group(1), match.group(0))), node
    )


class ComfyUIBackend:
    name = "comfyui"

    def __init__(
        self,
        url: str,
        *,
        timeout: float,
        templates: dict[str, dict[str, Any]],
        model: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.client = make_client(url, timeout)
        self.timeout = timeout
        self.templates = templates
        self.model = model
        self.options = options or {}
        self.client_id = str(uuid.uuid4())

    async def generate(self, spec: GenerationSpec) -> list[bytes]:
        graph = fill(self.templates[spec.kind], await self._values(spec))
        queued = await send_json(
            self.client,
            "POST",
            "/prompt",
            json={"prompt": graph, "client_id": self.client_id},
        )
        prompt_id = queued.get("prompt_id") if isinstance(queued, dict) else None
        if not isinstance(prompt_id, str):
            raise BackendMalformed("ComfyUI did not answer with a prompt id.")
        try:
            async with asyncio.timeout(self.timeout):
                entry = await self._wait(prompt_id)
        except TimeoutError:
            raise BackendTimeout("ComfyUI did not finish the image in time.") from None
        files = _output_files(entry)
        if len(files) < spec.num_images:
            raise BackendMalformed("ComfyUI's history lists too few images.")
        return [await self._download(file) for file in files[: spec.num_images]]

    async def _values(self, spec: GenerationSpec) -> dict[str, Any]:
        values: dict[str, Any] = {
            "sampler_name": "euler",
            "scheduler": "normal",
            **self.options,
            "prompt": spec.prompt,
            "negative_prompt": spec.negative_prompt,
            # KSampler has no "random" seed: draw one here.
            "seed": spec.seed if spec.seed >= 0 else random.randrange(2**32),
            "width": spec.width,
            "height": spec.height,
            "steps": spec.steps,
            "cfg": spec.guidance_scale,
            "denoise": 1.0 if spec.kind == "text_to_image" else spec.strength,
            "batch_size": spec.num_images,
        }
        if self.model:
            values["model"] = self.model
        if spec.init_image is not None:
            values["init_image"] = await self._upload(spec.init_image, "init")
        if spec.mask_image is not None:
            values["mask_image"] = await self._upload(spec.mask_image, "mask")
        return values

    async def _upload(self, data: bytes, role: str) -> str:
        name = f"rostro-{role}-{uuid.uuid4().hex}.png"
        body = await send_json(
            self.client,
            "POST",
            "/upload/image",
            files={"image": (name, data, "image/png")},
            data={"overwrite": "true"},
        )
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise BackendMalformed("ComfyUI did not name the uploaded image.")
        subfolder = body.get("subfolder") or ""
        return f"{subfolder}/{body['name']}" if subfolder else str(body["name"])

    async def _wait(self, prompt_id: str) -> dict[str, Any]:
        while True:
            history = await send_json(self.client, "GET", f"/history/{prompt_id}")
            entry = history.get(prompt_id) if isinstance(history, dict) else None
            if isinstance(entry, dict):
                status = entry.get("status") or {}
                if status.get("status_str") == "error":
                    raise BackendRefused(f"ComfyUI failed: {_error_text(status)}")
                if status.get("completed", True) and entry.get("outputs"):
                    return entry
            await asyncio.sleep(POLL_SECONDS)

    async def _download(self, file: dict[str, Any]) -> bytes:
        params = {key: str(file.get(key, "")) for key in ("filename", "subfolder")}
        params["type"] = str(file.get("type", "output"))
        response = await send(self.client, "GET", "/view", params=params)
        return checked_image(response.content)

    async def aclose(self) -> None:
        await self.client.aclose()


def _output_files(entry: dict[str, Any]) -> list[dict[str, Any]]:
    outputs = entry.get("outputs")
    if not isinstance(outputs, dict):
        raise BackendMalformed("ComfyUI's history has no outputs.")
    files = []
    for output in outputs.values():
        images = output.get("images", []) if isinstance(output, dict) else []
        # Preview nodes write "temp" images; only saved ones are results.
        files += [
            image
            for image in images
            if isinstance(image, dict) and image.get("type") == "output"
        ]
    return files


def _error_text(status: dict[str, Any]) -> str:
    for message in status.get("messages") or []:
        if isinstance(message, list) and len(message) == 2:
            event, data = message
            if event == "execution_error" and isinstance(data, dict):
                return str(data.get("exception_message", "execution error"))[:300]
    return "the workflow did not run"
