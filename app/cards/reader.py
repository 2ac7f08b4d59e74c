"""Bytes of an uploaded file -> the character or lorebook it holds."""

from app.cards.charx import is_zip, main_icon, read_charx
from app.cards.errors import CardError
from app.cards.model import ImportedCard
from app.cards.parser import load_json, parse_object
from app.cards.png import is_png, read_png_card

_OTHER_IMAGES = {
    b"\xff\xd8\xff": "JPEG",
    b"GIF8": "GIF",
    b"RIFF": "WebP",
}


def read_card(data: bytes, filename: str | None = None) -> ImportedCard:
    """Read a card or lorebook in any format the hub takes.

    JSON (V1, V2, V3, `lorebook_v3`, a V2 `character_book`, SillyTavern world info),
    PNG cards (`chara` or `ccv3` text chunks) and CharX zips. Raises CardError naming
    the problem, prefixed with `filename` when given.
    """
    try:
        return _read(data)
    except CardError as exc:
        if filename:
            raise CardError(f"{filename}: {exc.message}") from exc
        raise


def _read(data: bytes) -> ImportedCard:
    if not data:
        raise CardError("the file is empty")
    if is_png(data):
        return _read_png(data)
    if is_zip(data):
        return _read_charx(data)
    for signature, kind in _OTHER_IMAGES.items():
        if data.startswith(signature):
            raise CardError(f"the file is a {kind} image; cards are read from PNG only")
    return parse_object(load_json(data, "the file"))


def _read_png(data: bytes) -> ImportedCard:
    found = read_png_card(data)
    card = parse_object(found.card)
    if card.character is None:
        raise CardError(f"the PNG's {found.keyword} chunk holds no character")

    character = card.character
    if card.source_format == "v3":
        character.source_format = "png-v3"
        return ImportedCard("png-v3", character, avatar=found.avatar)
    if card.source_format == "v2":
        character.source_format = "png-v2"
    # A V1 card in a PNG stays "v1" on the character: its JSON is V1.
    return ImportedCard("png-v2", character, avatar=found.avatar)


def _read_charx(data: bytes) -> ImportedCard:
    obj, members = read_charx(data)
    card = parse_object(obj)
    if card.character is None:
        raise CardError("card.json in the archive holds no character")

    character = card.character
    if character.source_format == "v3":
        character.source_format = "charx"
    return ImportedCard(
        "charx", character, avatar=main_icon(character, members), assets=members
    )
