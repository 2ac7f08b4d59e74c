"""Checking uploaded images with Pillow before anything is stored."""

import base64
import binascii
import io
import re
import warnings

from PIL import Image

from app.errors import BadRequest

MAX_IMAGE_PIXELS = 40_000_000
MAX_IMAGE_BYTES = 20 * 1024 * 1024
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}
_DATA_URL = re.compile(r"^data:(?P<type>[\w/+.-]*)?(?P<params>(;[^,;]*)*?),", re.ASCII)


class InvalidImage(BadRequest):
    pass


def decode_data_url(value: str) -> bytes:
    """The bytes of a data URL (``data:image/png;base64,...``) or plain base64."""
    match = _DATA_URL.match(value)
    payload = value[match.end() :] if match else value
    try:
        return base64.b64decode(payload.strip(), validate=False)
    except (binascii.Error, ValueError):
        raise InvalidImage("The image is not valid base64.") from None


def image_extension(data: bytes) -> str:
    """The file extension of a real PNG, JPEG, WebP or GIF image; else 400."""
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidImage(f"An image is at most {MAX_IMAGE_BYTES // 2**20} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format or ""
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise InvalidImage("The image has too many pixels.")
                image.verify()
    except InvalidImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidImage("The image has too many pixels.") from None
    except Exception:
        raise InvalidImage("The file is not a readable image.") from None
    if kind not in EXTENSIONS:
        raise InvalidImage("Images must be PNG, JPEG, WebP or GIF.")
    return EXTENSIONS[kind]
