"""PNG cards: the card JSON, base64 in a text chunk, beside the avatar image.

Reading walks the chunks itself rather than through Pillow: Pillow (13) refuses
compressed text chunks that unpack past 1 MiB, which a card with a large lorebook
does, and it decodes every pixel to reach text chunks stored after the image data.
Writing re-encodes the avatar with Pillow.
"""

import base64
import binascii
import io
import json
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from PIL.PngImagePlugin import PngInfo

from app.cards.errors import CardError
from app.cards.model import Character, JSONObject
from app.cards.parser import load_json
from app.cards.writer import to_v2, to_v3

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# In order of preference: a V3 card over the V2 copy beside it.
CARD_KEYWORDS = ("ccv3", "chara")
MAX_TEXT_BYTES = 64 * 1024 * 1024
PLACEHOLDER_SIZE = (400, 600)

_TEXT_CHUNKS = frozenset({b"tEXt", b"zTXt", b"iTXt"})
_PNG_MODES = frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"})
_IMAGE_ERRORS = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)


@dataclass(frozen=True)
class _Chunk:
    type: bytes
    start: int
    body: int
    length: int
    end: int


@dataclass(frozen=True)
class PngCard:
    """The card JSON found in a PNG, its chunk's keyword, and the bare image."""

    card: JSONObject
    keyword: str
    avatar: bytes


def is_png(data: bytes) -> bool:
    return data.startswith(PNG_SIGNATURE)


def read_png_card(data: bytes) -> PngCard:
    """Find the card in a PNG: `ccv3` if it can be read, else `chara`."""
    marked = [(chunk, _card_keyword(data, chunk)) for chunk in _walk(data)]
    found: dict[str, tuple[_Chunk, int]] = {}
    for chunk, mark in marked:
        if mark is not None:
            found.setdefault(mark[0], (chunk, mark[1]))
    if not found:
        raise CardError(
            "the PNG image holds no character card: "
            "it has no text chunk named chara or ccv3"
        )

    card, keyword = _first_readable(data, found)
    kept = [data[chunk.start : chunk.end] for chunk, mark in marked if mark is None]
    return PngCard(card, keyword, b"".join([PNG_SIGNATURE, *kept]))


def _walk(data: bytes) -> Iterator[_Chunk]:
    # A truncated last chunk ends the walk; CRCs are not checked, as readers of
    # cards in the wild do not check them either.
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        body = pos + 8
        if body + length > len(data):
            return
        end = min(body + length + 4, len(data))
        chunk = _Chunk(data[pos + 4 : pos + 8], pos, body, length, end)
        yield chunk
        if chunk.type == b"IEND":
            return
        pos = end


def _card_keyword(data: bytes, chunk: _Chunk) -> tuple[str, int] | None:
    """The lower-cased card keyword of a text chunk and the offset after its NUL."""
    if chunk.type not in _TEXT_CHUNKS:
        return None
    nul = data.find(b"\0", chunk.body, min(chunk.body + 80, chunk.body + chunk.length))
    if nul < 0:
        return None
    keyword = data[chunk.body : nul].decode("latin-1").lower()
    return (keyword, nul + 1) if keyword in CARD_KEYWORDS else None


def _first_readable(
    data: bytes, found: Mapping[str, tuple[_Chunk, int]]
) -> tuple[JSONObject, str]:
    errors: list[CardError] = []
    for keyword in CARD_KEYWORDS:
        if keyword not in found:
            continue
        chunk, after_keyword = found[keyword]
        try:
            payload = _decode_payload(_chunk_text(data, chunk, after_keyword), keyword)
            card = load_json(payload, f"the {keyword} chunk")
        except CardError as exc:
            errors.append(exc)
            continue
        return card, keyword
    raise errors[0]


def _chunk_text(data: bytes, chunk: _Chunk, start: int) -> bytes:
    stop = chunk.body + chunk.length
    if chunk.type == b"tEXt":
        return data[start:stop]
    if chunk.type == b"zTXt":
        if data[start : start + 1] != b"\0":
            raise CardError("the card's zTXt chunk uses an unknown compression method")
        return _inflate(data[start + 1 : stop])
    return _itxt_text(data[start:stop])


def _itxt_text(body: bytes) -> bytes:
    # iTXt after the keyword: flag, method, language NUL, translated keyword NUL, text.
    parts = body[2:].split(b"\0", 2)
    if len(body) < 2 or len(parts) < 3:
        raise CardError("the card's iTXt chunk is malformed")
    if body[0] == 0:
        return parts[2]
    if body[1] != 0:
        raise CardError("the card's iTXt chunk uses an unknown compression method")
    return _inflate(parts[2])


def _inflate(compressed: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(compressed, MAX_TEXT_BYTES)
    except zlib.error as exc:
        raise CardError("the card's compressed text chunk is corrupt") from exc
    if inflater.unconsumed_tail:
        limit = MAX_TEXT_BYTES // (1024 * 1024)
        raise CardError(f"the card's text chunk unpacks to more than {limit} MB")
    return text


def _decode_payload(text: bytes, keyword: str) -> bytes:
    compact = b"".join(text.split())
    # Compat: a few old tools stored the JSON itself rather than its base64.
    if compact.startswith(b"{"):
        return text
    compact += b"=" * (-len(compact) % 4)
    try:
        return base64.b64decode(compact, validate=True)
    except binascii.Error as exc:
        raise CardError(f"the {keyword} chunk is not valid base64") from exc


def card_png(avatar: bytes | None, card: Character) -> bytes:
    """The card as a PNG: the avatar (or a plain placeholder) re-encoded, with the
    V2 card in a `chara` tEXt chunk and the V3 card in a `ccv3` one."""
    image = _placeholder() if avatar is None else _open_avatar(avatar)
    info = PngInfo()
    info.add_text("chara", _encode(to_v2(card)))
    info.add_text("ccv3", _encode(to_v3(card)))

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def _placeholder() -> Image.Image:
    return Image.new("RGB", PLACEHOLDER_SIZE, (58, 60, 72))


def _open_avatar(avatar: bytes) -> Image.Image:
    try:
        with Image.open(io.BytesIO(avatar)) as source:
            source.load()
            mode = source.mode if source.mode in _PNG_MODES else "RGBA"
            return source.convert(mode)
    except UnidentifiedImageError as exc:
        raise CardError("the avatar is not an image in a format we can read") from exc
    except _IMAGE_ERRORS as exc:
        raise CardError("the avatar image is damaged and cannot be read") from exc


def _encode(card: JSONObject) -> str:
    text = json.dumps(card, ensure_ascii=False, separators=(",", ":"))
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
