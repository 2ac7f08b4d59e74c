"""Images for upload tests, made with Pillow."""

import base64
import io

from PIL import Image

GPS_IFD = 0x8825


def png(
    size: tuple[int, int] = (64, 48), color: tuple[int, ...] = (200, 30, 30)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"
    exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 120, 10)).save(
        buffer, format="JPEG", exif=exif.tobytes()
    )
    return buffer.getvalue()


def animated_gif(frames: int = 4) -> bytes:
    images = [Image.new("RGB", (32, 32), (i * 50, 0, 0)) for i in range(frames)]
    buffer = io.BytesIO()
    images[0].save(
        buffer, format="GIF", save_all=True, append_images=images[1:], duration=80
    )
    return buffer.getvalue()


def bmp() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="BMP")
    return buffer.getvalue()


def decompression_bomb() -> bytes:
    """A PNG of 12,000 x 12,000 black pixels: about 140 KB on disk, 144
    megapixels once decoded."""
    buffer = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def data_url(data: bytes, kind: str = "png") -> str:
    return f"data:image/{kind};base64," + base64.b64encode(data).decode()
