"""Gallery images made safe to serve: checked, re-encoded without metadata,
and given a preview.

Re-encoding from pixels is what strips EXIF, GPS, XMP, text chunks and
comments: only the pixels and the few settings listed in `_KEPT_INFO` reach
the stored file. It also means a file that only looks like an image never
reaches the storage at all.
"""

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence

from app.media.images import InvalidImage, image_extension

MAX_FRAMES = 300
# Pixels over all frames of an animation: a small file of many large frames
# is a decompression bomb too.
MAX_ANIMATION_PIXELS = 120_000_000
PREVIEW_SIZE = (512, 512)
CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
}
_PIL_FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP", "gif": "GIF"}
# Settings that change how the pixels look; everything else in `info` goes.
_KEPT_INFO = ("transparency", "icc_profile")


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    extension: str
    width: int
    height: int
    preview: bytes
    """A WebP of the first frame, at most `PREVIEW_SIZE`."""

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.extension]


def prepare_image(data: bytes) -> PreparedImage:
    """Check an upload and re-encode it without metadata; InvalidImage (400)
    for anything but a sound PNG, JPEG, WebP or GIF within the limits."""
    extension = image_extension(data)
    with _opened(data) as image:
        try:
            frames, durations, loop = _clean_frames(image)
        except InvalidImage:
            raise
        except Exception:
            # Truncated or corrupt pixel data that verify() did not reach.
            raise InvalidImage("The file is not a readable image.") from None
    encoded = _encode(frames, durations, loop, extension)
    return PreparedImage(
        data=encoded,
        extension=extension,
        width=frames[0].width,
        height=frames[0].height,
        preview=_preview(frames[0]),
    )


@contextmanager
def _opened(data: bytes) -> Iterator[Image.Image]:
    with warnings.catch_warnings():
        # Pillow only warns below twice its pixel limit; here that is an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except Exception:
            raise InvalidImage("The file is not a readable image.") from None
        with image:
            yield image


def _clean_frames(image: Image.Image) -> tuple[list[Image.Image], list[int], int]:
    n_frames = getattr(image, "n_frames", 1)
    if n_frames > MAX_FRAMES:
        raise InvalidImage(f"An animation has at most {MAX_FRAMES} frames.")
    if n_frames * image.width * image.height > MAX_ANIMATION_PIXELS:
        raise InvalidImage("The animation has too many pixels.")
    if n_frames == 1:
        return [_clean(ImageOps.exif_transpose(image))], [], 0

    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        frames.append(_clean(frame.convert("RGBA")))
        durations.append(int(frame.info.get("duration", 100)))
    return frames, durations, int(image.info.get("loop", 0))


def _clean(image: Image.Image) -> Image.Image:
    clean = image.copy()
    clean.info = {k: image.info[k] for k in _KEPT_INFO if k in image.info}
    return clean


def _encode(
    frames: list[Image.Image], durations: list[int], loop: int, extension: str
) -> bytes:
    first = frames[0]
    if extension == "jpg" and first.mode not in ("L", "RGB", "CMYK"):
        first = first.convert("RGB")
    options: dict[str, object] = {}
    if extension in ("jpg", "webp"):
        options["quality"] = 90
    if len(frames) > 1:
        options |= {
            "save_all": True,
            "append_images": frames[1:],
            "duration": durations,
            "loop": loop,
        }
    buffer = io.BytesIO()
    first.save(buffer, format=_PIL_FORMATS[extension], **options)
    return buffer.getvalue()


def _preview(image: Image.Image) -> bytes:
    preview = image.convert("RGBA" if _has_alpha(image) else "RGB")
    preview.thumbnail(PREVIEW_SIZE, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    preview.save(buffer, format="WEBP", quality=80)
    return buffer.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
