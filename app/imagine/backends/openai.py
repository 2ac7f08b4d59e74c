"""OpenAI-compatible image servers: ``/v1/images/generations`` and ``/edits``."""

from typing import Any

from app.imagine.backends.base import (
    BackendMalformed,
    GenerationSpec,
    checked_image,
    decode_image,
)
from app.imagine.backends.http import make_client, send, send_json


class OpenAIImagesBackend:
    name = "openai"

    def __init__(
        self,
        url: str,
        *,
        timeout: float,
        api_key: str | None = None,
        model: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        base = url.rstrip("/")
        # Accept the base URL with or without /v1, as the servers' docs differ.
        if not base.endswith("/v1"):
            base += "/v1"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        self.client = make_client(base, timeout, headers)
        self.model = model
        self.options = options or {}

    async def generate(self, spec: GenerationSpec) -> list[bytes]:
        fields: dict[str, Any] = {
            "prompt": spec.prompt,
            "n": spec.num_images,
            "size": f"{spec.width}x{spec.height}",
            "response_format": "b64_json",
            **self.options,
        }
        if self.model:
            fields["model"] = self.model
        if spec.kind == "text_to_image":
            body = await send_json(
                self.client, "POST", "/images/generations", json=fields
            )
        else:
            body = await send_json(
                self.client,
                "POST",
                "/images/edits",
                data={key: str(value) for key, value in fields.items()},
                files=self._files(spec),
            )
        return await self._images(body, spec.num_images)

    @staticmethod
    def _files(spec: GenerationSpec) -> dict[str, tuple[str, bytes, str]]:
        assert spec.init_image is not None
        files = {"image": ("image.png", spec.init_image, "image/png")}
        if spec.kind == "inpainting" and spec.mask_image is not None:
            files["mask"] = ("mask.png", spec.mask_image, "image/png")
        return files

    async def _images(self, body: Any, count: int) -> list[bytes]:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or len(data) < count:
            raise BackendMalformed("The image server's answer lists too few images.")
        return [await self._image(entry) for entry in data[:count]]

    async def _image(self, entry: Any) -> bytes:
        if not isinstance(entry, dict):
            raise BackendMalformed("The image server's answer holds no image data.")
        if entry.get("b64_json"):
            return decode_image(entry["b64_json"])
        url = entry.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise BackendMalformed("The image server's answer holds no image data.")
        # Servers that ignore response_format answer with a link to the image.
        response = await send(self.client, "GET", url)
        return checked_image(response.content)

    async def aclose(self) -> None:
        await self.client.aclose()
