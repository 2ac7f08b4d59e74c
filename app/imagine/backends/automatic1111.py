"""AUTOMATIC1111 and Forge: ``/sdapi/v1/txt2img`` and ``/sdapi/v1/img2img``."""

from typing import Any

import httpx

from app.imagine.backends.base import (
    BackendMalformed,
    GenerationSpec,
    decode_image,
    encode_image,
)
from app.imagine.backends.http import make_client, send_json


class Automatic1111Backend:
    name = "automatic1111"

    def __init__(
        self,
        url: str,
        *,
        timeout: float,
        auth: str | None = None,
        model: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.client = make_client(url, timeout)
        if auth:
            # Started with --api-auth user:pass, the server wants HTTP Basic.
            user, _, password = auth.partition(":")
            self.client.auth = httpx.BasicAuth(user, password)
        self.model = model
        self.options = options or {}

    async def generate(self, spec: GenerationSpec) -> list[bytes]:
        path = "/sdapi/v1/txt2img"
        payload = self._common(spec)
        if spec.kind != "text_to_image":
            path = "/sdapi/v1/img2img"
            payload.update(self._image_fields(spec))
        body = await send_json(self.client, "POST", path, json=payload)
        images = body.get("images") if isinstance(body, dict) else None
        if not isinstance(images, list) or len(images) < spec.num_images:
            raise BackendMalformed("The image server's answer lists too few images.")
        # Extensions may append extra images (detection maps): keep the generated ones.
        return [decode_image(image) for image in images[: spec.num_images]]

    def _common(self, spec: GenerationSpec) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "prompt": spec.prompt,
            "negative_prompt": spec.negative_prompt,
            "seed": spec.seed,
            "steps": spec.steps,
            "cfg_scale": spec.guidance_scale,
            "width": spec.width,
            "height": spec.height,
            "batch_size": spec.num_images,
            "n_iter": 1,
            "send_images": True,
            "save_images": False,
            **self.options,
        }
        if self.model:
            payload["override_settings"] = {"sd_model_checkpoint": self.model}
        return payload

    @staticmethod
    def _image_fields(spec: GenerationSpec) -> dict[str, Any]:
        assert spec.init_image is not None
        fields: dict[str, Any] = {
            "init_images": [encode_image(spec.init_image)],
            "denoising_strength": spec.strength,
        }
        if spec.kind == "inpainting" and spec.mask_image is not None:
            fields["mask"] = encode_image(spec.mask_image)
        return fields

    async def aclose(self) -> None:
        await self.client.aclose()
