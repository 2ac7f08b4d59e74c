"""Model -> JSON: V2 and V3 cards, `lorebook_v3` files and V2 character books.

An export in the format a card was read from gives back that file: the same keys,
unknown ones included, at every level. An export in another format fills in what
the target requires and keeps the unknown keys. The returned dicts share nested
values (extensions, extra keys) with the model: copy before changing them.
"""

from typing import Literal

from app.cards.model import (
    SELECTIVE_LOGIC,
    Character,
    CharacterFormat,
    JSONObject,
    Lorebook,
    LorebookEntry,
)
from app.cards.schema import (
    BOOK_FIELDS,
    CHARACTER_FIELDS,
    ENTRY_FIELDS,
    write_fields,
)
from app.cards.worldinfo import card_book_from_world_info, lorebook_to_world_info

CardTarget = Literal["v2", "v3"]

_SPECS: dict[CardTarget, tuple[str, str]] = {
    "v2": ("chara_card_v2", "2.0"),
    "v3": ("chara_card_v3", "3.0"),
}
_FAMILY: dict[CharacterFormat, str] = {
    "v1": "v1",
    "v2": "v2",
    "png-v2": "v2",
    "v3": "v3",
    "png-v3": "v3",
    "charx": "v3",
}


def to_v2(card: Character) -> JSONObject:
    """The character as a V2 card (`chara_card_v2`)."""
    return _card(card, "v2")


def to_v3(card: Character) -> JSONObject:
    """The character as a V3 card (`chara_card_v3`)."""
    return _card(card, "v3")


def _card(card: Character, target: CardTarget) -> JSONObject:
    same_format = _FAMILY[card.source_format] == target
    data = write_fields(card, CHARACTER_FIELDS, target, same_format)
    if card.character_book is not None:
        data["character_book"] = book_data(card.character_book, target)

    spec, version = _SPECS[target]
    top = dict(card.top_extra)
    for key in card.top_copies:
        top[key] = getattr(card, key)
    if not same_format or "spec_version" not in top:
        top["spec_version"] = version

    return {"spec": spec, **top, "data": data}


def to_native(card: Character) -> JSONObject:
    """The character as JSON in the format it was read in (V2 for V1 cards).

    `parse_object` reads it back without loss, so this is the form to store.
    """
    return to_v3(card) if _FAMILY[card.source_format] == "v3" else to_v2(card)


def lorebook_to_native(book: Lorebook) -> JSONObject:
    """The lorebook as JSON in the format it was read in (`lorebook_v3` for new
    ones); `parse_object` reads it back without loss."""
    if book.source_format == "worldinfo":
        return lorebook_to_world_info(book)
    if book.source_format == "character_book":
        return lorebook_to_character_book(book)
    return lorebook_to_v3(book)


def lorebook_to_v3(book: Lorebook) -> JSONObject:
    """The lorebook as a standalone `lorebook_v3` file."""
    return {**book.envelope_extra, "spec": "lorebook_v3", "data": book_data(book, "v3")}


def lorebook_to_character_book(book: Lorebook) -> JSONObject:
    """The lorebook as a V2 `character_book` object."""
    return book_data(book, "v2")


def book_data(book: Lorebook, target: CardTarget) -> JSONObject:
    """The lorebook object of a card in `target`: V2 `character_book` or V3 data."""
    if book.source_format == "worldinfo":
        book = card_book_from_world_info(book)
        same_format = False
    else:
        home = "lorebook_v3" if target == "v3" else "character_book"
        same_format = book.source_format == home

    out = write_fields(book, BOOK_FIELDS, target, same_format)
    out["entries"] = [_entry(entry, target, same_format) for entry in book.entries]
    return out


def _entry(entry: LorebookEntry, target: CardTarget, same_format: bool) -> JSONObject:
    out = write_fields(entry, ENTRY_FIELDS, target, same_format)
    if entry.selective_logic is None:
        return out

    # The field wins over the copy in `extensions` that it was read from.
    code = SELECTIVE_LOGIC.index(entry.selective_logic)
    if entry.extensions.get("selectiveLogic") != code:
        out["extensions"] = {**entry.extensions, "selectiveLogic": code}
    return out
