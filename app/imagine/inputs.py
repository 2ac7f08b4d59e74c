"""Checks of a generation request before it becomes a job."""

import math
import re
import unicodedata
from dataclasses import dataclass

from app.imagine.errors import Rejection
from app.imagine.schemas import GenerationRequest, aspect_parts
from app.kit.fetch import Fetcher, FetchFailed, FetchRefused, is_url
from app.media.images import (
    MAX_IMAGE_BYTES,
    InvalidImage,
    decode_data_url,
    image_extension,
)

SIZE_STEP = 64
# Compat: clients of the hosted service send these names for the same types.
TYPE_ALIASES = {
    "txt2img": "text_to_image",
    "img2img": "image_to_image",
    "inpaint": "inpainting",
}


@dataclass(frozen=True)
class InputImage:
    role: str
    data: bytes
    extension: str


def generation_kind(request: GenerationRequest) -> str:
    """The back-end capability the request needs; a mask makes it inpainting."""
    kind = TYPE_ALIASES.get(request.generation_type, request.generation_type)
    if kind == "image_to_image" and request.mask_image:
        return "inpainting"
    return kind


def image_size(aspect_ratio: str, base: int) -> tuple[int, int]:
    """Width and height of about ``base`` squared pixels, multiples of 64."""
    width, height = aspect_parts(aspect_ratio)
    scale = math.sqrt(width / height)

    def snap(value: float) -> int:
        return max(SIZE_STEP, round(value / SIZE_STEP) * SIZE_STEP)

    return snap(base * scale), snap(base / scale)


def check_prompt(prompt: str, blocked_terms: list[str]) -> None:
    """Refuse a prompt holding a blocked term as a whole word, in any case."""
    text = _normal(prompt)
    for term in blocked_terms:
        pattern = rf"(?<!\w){re.escape(_normal(term))}(?!\w)"
        if term.strip() and re.search(pattern, text):
            raise Rejection(
                "explicit_text",
                "prompt",
                "The prompt holds a term this server refuses.",
            )


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


async def input_images(
    request: GenerationRequest, kind: str, fetcher: Fetcher
) -> list[InputImage]:
    """The init image and mask the kind needs, decoded (or fetched, for an
    http(s) URL) and checked."""
    if kind == "text_to_image":
        return []
    init = request.first_init_image
    if init is None:
        raise Rejection("malformed_image", "init_image", f"{kind} needs an init_image.")
    images = [await _decoded("init", "init_image", init, fetcher)]
    if kind == "inpainting":
        if request.mask_image is None:
            raise Rejection("malformed_image", "mask_image", "Inpainting needs a mask.")
        images.append(await _decoded("mask", "mask_image", request.mask_image, fetcher))
    return images


async def _decoded(
    role: str, location: str, value: str, fetcher: Fetcher
) -> InputImage:
    try:
        if is_url(value):
            data = await fetcher.fetch(value, MAX_IMAGE_BYTES)
        else:
            data = decode_data_url(value)
        extension = image_extension(data)
    except (InvalidImage, FetchRefused, FetchFailed) as error:
        raise Rejection("malformed_image", location, error.message) from None
    return InputImage(role, data, extension)
