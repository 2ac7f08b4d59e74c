"""What every back end takes and gives, and the errors it may raise."""

import base64
import binascii
import io
from dataclasses import dataclass
from typing import Literal, Protocol

from PIL import Image, UnidentifiedImageError

Capability = Literal["text_to_image", "image_to_image", "inpainting"]
ALL_CAPABILITIES: frozenset[str] = frozenset(
    {"text_to_image", "image_to_image", "inpainting"}
)


@dataclass(frozen=True)
class GenerationSpec:
    """One generation, in the terms shared by every back end."""

    kind: str
    prompt: str
    negative_prompt: str
    seed: int
    """-1 lets the back end choose."""
    width: int
    height: int
    steps: int
    guidance_scale: float
    strength: float
    num_images: int
    init_image: bytes | None = None
    mask_image: bytes | None = None


class BackendError(Exception):
    """A generation that did not succeed; ``message`` is shown to the user."""

    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BackendRefused(BackendError):
    """The image server answered with an error about this request."""


class BackendMalformed(BackendError):
    """The image server answered something that is not what its API promises."""


class BackendUnavailable(BackendError):
    """The image server could not be reached or failed on its side."""

    retryable = True


class BackendTimeout(BackendError):
    retryable = True


class ImageBackend(Protocol):
    name: str

    async def generate(self, spec: GenerationSpec) -> list[bytes]:
        """The images of ``spec``, each the bytes of a PNG, JPEG or WebP file."""
        ...

    async def aclose(self) -> None: ...


def checked_image(data: bytes) -> bytes:
    """``data`` when it is a readable image, else BackendMalformed."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise BackendMalformed(
            "The image server returned something that is not an image."
        ) from None
    return data


def decode_image(value: object) -> bytes:
    """A base64 image from a back end's JSON answer, checked."""
    if not isinstance(value, str):
        raise BackendMalformed("The image server's answer holds no image data.")
    _, _, payload = value.rpartition(",")  # some servers send data URLs
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise BackendMalformed("The image server returned invalid base64.") from None
    return checked_image(data)


def encode_image(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
