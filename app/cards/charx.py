"""CharX: a zip with the V3 card in `card.json` and its assets beside it.

Assets are addressed from the card as `embeded://<path in the zip>` (the spelling
of the specification). The archive comes from strangers, so its size is bounded
before and while it is unpacked.
"""

import io
import json
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import PurePosixPath

from PIL import Image, UnidentifiedImageError

from app.cards.errors import CardError
from app.cards.model import Character, JSONObject
from app.cards.parser import load_json
from app.cards.writer import to_v3

CARD_PATH = "card.json"
AVATAR_PATH = "assets/icon/images/main"
MAX_MEMBERS = 4096
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024

_URI_PREFIXES = ("embeded://", "embedded://")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_MB = 1024 * 1024


def is_zip(data: bytes) -> bool:
    return data.startswith((b"PK\x03\x04", b"PK\x05\x06"))


def read_charx(data: bytes) -> tuple[JSONObject, dict[str, bytes]]:
    """The parsed `card.json` and every other file of the archive by path."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise CardError("the file is not a readable zip archive") from exc

    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        _check_listing(infos)
        members = {info.filename: _read_member(archive, info) for info in infos}

    return load_json(members.pop(CARD_PATH), CARD_PATH), members


def _check_listing(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_MEMBERS:
        raise CardError(f"the archive holds more than {MAX_MEMBERS} files")
    if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
        raise CardError(f"the archive unpacks to more than {_size(MAX_TOTAL_BYTES)}")
    for info in infos:
        check_path(info.filename)

    names = [info.filename for info in infos]
    if CARD_PATH in names:
        return
    nested = next((name for name in names if name.endswith("/" + CARD_PATH)), None)
    where = f"; found {nested}" if nested else ""
    raise CardError(f"the zip archive has no card.json at its root{where}")


def check_path(path: str) -> None:
    """Refuse paths that would land outside the folder an archive is unpacked in."""
    parts = PurePosixPath(path).parts
    unsafe = (
        not path
        or path.startswith("/")
        or "\\" in path
        or ".." in parts
        or ":" in (parts[0] if parts else "")
    )
    if unsafe:
        raise CardError(f"the archive holds an unsafe file path: {path!r}")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    # The sizes in the listing may lie; the read itself is bounded too.
    if info.file_size > MAX_MEMBER_BYTES:
        raise _too_large(info.filename)
    try:
        with archive.open(info) as member:
            content = member.read(MAX_MEMBER_BYTES + 1)
    except RuntimeError as exc:
        raise CardError(f"{info.filename} in the archive is encrypted") from exc
    except (zipfile.BadZipFile, NotImplementedError, zlib.error, OSError) as exc:
        raise CardError(f"{info.filename} in the archive is damaged") from exc
    if len(content) > MAX_MEMBER_BYTES:
        raise _too_large(info.filename)
    return content


def _too_large(name: str) -> CardError:
    return CardError(f"{name} in the archive is larger than {_size(MAX_MEMBER_BYTES)}")


def _size(count: int) -> str:
    return f"{count // _MB} MB" if count >= _MB else f"{count} bytes"


def embedded_path(uri: object) -> str | None:
    """The archive path an asset URI points at, or None if it is not embedded."""
    if not isinstance(uri, str):
        return None
    for prefix in _URI_PREFIXES:
        if uri.startswith(prefix):
            return uri[len(prefix) :]
    return None


def main_icon(card: Character, members: Mapping[str, bytes]) -> bytes | None:
    """The bytes of the card's main icon in the archive, else of its first icon."""
    icons = [
        asset
        for asset in card.assets
        if asset.get("type") == "icon" and embedded_path(asset.get("uri")) in members
    ]
    icons.sort(key=lambda asset: asset.get("name") != "main")
    if not icons:
        return None
    return members[str(embedded_path(icons[0].get("uri")))]


def to_charx(
    card: Character,
    assets: Mapping[str, bytes] | None = None,
    avatar: bytes | None = None,
) -> bytes:
    """The card as a CharX zip: `card.json` (V3) and `assets` by their paths.

    An `avatar` is added as the main icon unless the card has an embedded icon.
    """
    files = dict(assets or {})
    if avatar is not None and main_icon(card, files) is None:
        card, path = _with_avatar(card, avatar)
        files[path] = avatar

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        card_json = json.dumps(to_v3(card), ensure_ascii=False, indent=2)
        _write(archive, CARD_PATH, card_json.encode("utf-8"))
        for path, content in files.items():
            check_path(path)
            if path == CARD_PATH:
                raise CardError("an asset cannot be named card.json")
            _write(archive, path, content)
    return buffer.getvalue()


def _with_avatar(card: Character, avatar: bytes) -> tuple[Character, str]:
    ext = _image_ext(avatar)
    path = f"{AVATAR_PATH}.{ext}"
    asset = {"type": "icon", "uri": f"embeded://{path}", "name": "main", "ext": ext}
    return replace(card, assets=[*card.assets, asset]), path


def _image_ext(image: bytes) -> str:
    try:
        with Image.open(io.BytesIO(image)) as opened:
            fmt = (opened.format or "png").lower()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise CardError("the avatar is not an image in a format we can read") from exc
    return "jpg" if fmt == "jpeg" else fmt


def _write(archive: zipfile.ZipFile, path: str, content: bytes) -> None:
    # A fixed timestamp makes the same card give the same bytes.
    info = zipfile.ZipInfo(path, date_time=_FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, content)
