"""Parsed JSON -> model: V1, V2 and V3 cards and the card-shaped lorebooks."""

import json
import re
from collections.abc import Mapping
from typing import Any

from app.cards import worldinfo
from app.cards.errors import CardError
from app.cards.model import (
    Character,
    CharacterFormat,
    ImportedCard,
    JSONObject,
    Lorebook,
    LorebookEntry,
    LorebookFormat,
)
from app.cards.schema import (
    BOOK_FIELDS,
    CHARACTER_FIELDS,
    ENTRY_FIELDS,
    INVALID,
    V1_KEYS,
    coerce,
    entry_items,
    read_fields,
)

_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:[dD][89a-fA-F][0-9a-fA-F]{2}|0000)")
_UNSTORABLE_CHARS: dict[int, str | None] = {0: None} | dict.fromkeys(
    range(0xD800, 0xE000), "\ufffd"
)

CARD_SPECS: dict[str, CharacterFormat] = {"chara_card_v2": "v2", "chara_card_v3": "v3"}

# Compat: some tools write SillyTavern's names into card lorebook entries.
_ENTRY_ALIASES = {"key": "keys", "keysecondary": "secondary_keys"}

# Keys that only card lorebook entries carry, and keys only world-info entries carry.
_CARD_ENTRY_MARKS = frozenset({"keys", "secondary_keys", "insertion_order", "enabled"})
_WORLD_INFO_MARKS = frozenset(
    {"uid", "disable", "order", "selectiveLogic", "displayIndex", "addMemo"}
)


def load_json(data: bytes, what: str) -> JSONObject:
    """Decode UTF-8 JSON holding an object; `what` names the data in errors."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CardError(f"{what} is not UTF-8 text (byte {exc.start})") from exc

    try:
        obj = json.loads(text, parse_constant=_reject_constant)
        if _UNSTORABLE_ESCAPE.search(text):
            obj = _storable(obj)
    except json.JSONDecodeError as exc:
        detail = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
        raise CardError(f"{what} is not valid JSON: {detail}") from exc
    except RecursionError as exc:
        raise CardError(f"{what} is nested too deeply to read") from exc

    if not isinstance(obj, dict):
        raise CardError(f"{what} must be a JSON object, not {type(obj).__name__}")
    return obj


def _storable(value: Any) -> Any:
    # Compat: cards hold lone surrogates (emoji cut in half by a JavaScript tool)
    # and NUL characters, spelled as JSON escapes; no UTF-8 text, and so neither
    # PostgreSQL nor a PNG chunk, can hold them.
    if isinstance(value, str):
        return value.translate(_UNSTORABLE_CHARS)
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    return value


def _reject_constant(name: str) -> Any:
    raise CardError(f"JSON holds {name}, which is not a JSON number")


def parse_object(obj: Mapping[str, Any]) -> ImportedCard:
    """Detect the format of a parsed card or lorebook and read it."""
    spec = obj.get("spec")
    if spec is not None:
        return _parse_with_spec(obj, spec)

    data = obj.get("data")
    if isinstance(data, dict) and "name" in data:
        # Compat: `tavern_raw.json` is a V2 card's `data` without the `spec`.
        return ImportedCard("v2", character=parse_character(obj, "v2"))
    if "entries" in obj:
        return _parse_bare_lorebook(obj)
    if any(key in obj for key in V1_KEYS):
        return ImportedCard("v1", character=parse_v1(obj))

    raise CardError(
        "the JSON is neither a character card nor a lorebook: "
        "it has no spec, no name and no entries"
    )


def _parse_with_spec(obj: Mapping[str, Any], spec: object) -> ImportedCard:
    if isinstance(spec, str) and spec in CARD_SPECS:
        fmt = CARD_SPECS[spec]
        return ImportedCard(fmt, character=parse_character(obj, fmt))
    if spec == "lorebook_v3":
        return ImportedCard("lorebook_v3", lorebook=parse_lorebook_v3(obj))
    raise CardError(
        f"unknown spec {spec!r}: expected chara_card_v2, chara_card_v3 or lorebook_v3"
    )


def _parse_bare_lorebook(obj: Mapping[str, Any]) -> ImportedCard:
    book = parse_lorebook(obj, "character_book", keyed_is_world_info=True)
    return ImportedCard(book.source_format or "character_book", lorebook=book)


def parse_lorebook(
    raw: Mapping[str, Any], fmt: LorebookFormat, keyed_is_world_info: bool = False
) -> Lorebook:
    """Read a lorebook object: world info if its entries look like it, else `fmt`.

    Entries that carry neither format's own keys are world info when they are keyed
    by uid and `keyed_is_world_info` is set (a file on its own), else card entries.
    """
    entries = raw.get("entries")
    items = entry_items(entries)
    first = items[0] if items else {}
    if not _CARD_ENTRY_MARKS.isdisjoint(first):
        world_info = False
    elif not _WORLD_INFO_MARKS.isdisjoint(first):
        world_info = True
    else:
        world_info = keyed_is_world_info and isinstance(entries, dict)

    return worldinfo.read_world_info(raw) if world_info else parse_book(raw, fmt)


def parse_character(obj: Mapping[str, Any], fmt: CharacterFormat) -> Character:
    """Read a V2 or V3 card (`spec` and `data`)."""
    data = obj.get("data")
    if not isinstance(data, dict):
        raise CardError("the card has no `data` object holding its fields")

    values, extra, absent = read_fields(data, CHARACTER_FIELDS)
    book = _embedded_book(extra.pop("character_book", None), fmt)
    top_extra = {
        key: value for key, value in obj.items() if key not in ("spec", "data")
    }
    copies = _take_v1_copies(top_extra, values)

    character = Character(
        **values,
        character_book=book,
        source_format=fmt,
        extra=extra,
        top_extra=top_extra,
        top_copies=copies,
        absent=absent,
    )
    return _named(character)


def _take_v1_copies(top_extra: JSONObject, values: JSONObject) -> list[str]:
    """Take out of `top_extra` the V1 fields that repeat the value in `data`."""
    copies = [
        key
        for key in V1_KEYS
        if key in top_extra and key in values and top_extra[key] == values[key]
    ]
    for key in copies:
        del top_extra[key]
    return copies


def parse_v1(obj: Mapping[str, Any]) -> Character:
    """Read a V1 card: the fields at the top level, no `data`."""
    values, extra, absent = read_fields(obj, CHARACTER_FIELDS)
    book = _embedded_book(extra.pop("character_book", None), "v1")

    character = Character(
        **values,
        character_book=book,
        source_format="v1",
        top_extra=extra,
        absent=absent,
    )
    return _named(character)


def _named(character: Character) -> Character:
    if not character.name.strip():
        raise CardError("the character has no name: `name` is missing or empty")
    return character


def _embedded_book(raw: object, fmt: CharacterFormat) -> Lorebook | None:
    # Compat: cards carry `character_book: null`; we drop it rather than write it.
    if not isinstance(raw, dict):
        return None
    book_format: LorebookFormat = (
        "lorebook_v3" if fmt in ("v3", "png-v3", "charx") else "character_book"
    )
    return parse_lorebook(raw, book_format)


def parse_lorebook_v3(obj: Mapping[str, Any]) -> Lorebook:
    """Read a standalone `lorebook_v3` file."""
    data = obj.get("data")
    if not isinstance(data, dict):
        raise CardError("the lorebook_v3 file has no `data` object")

    book = parse_book(data, "lorebook_v3")
    book.envelope_extra = {k: v for k, v in obj.items() if k not in ("spec", "data")}
    return book


def parse_book(raw: Mapping[str, Any], fmt: LorebookFormat) -> Lorebook:
    """Read a card-shaped lorebook (V2 `character_book` or V3 lorebook data)."""
    values, extra, absent = read_fields(raw, BOOK_FIELDS)
    entries = [parse_entry(item) for item in entry_items(extra.pop("entries", None))]
    return Lorebook(
        **values,
        entries=entries,
        source_format=fmt,
        extra=extra,
        absent=absent,
    )


def parse_entry(raw: Mapping[str, Any]) -> LorebookEntry:
    """Read one card lorebook entry."""
    values, extra, absent = read_fields(_unalias(raw), ENTRY_FIELDS)
    extensions = values.get("extensions")
    if isinstance(extensions, dict) and "selectiveLogic" in extensions:
        logic = coerce("logic", extensions["selectiveLogic"])
        if logic is not INVALID:
            values["selective_logic"] = logic
    return LorebookEntry(**values, extra=extra, absent=absent)


def _unalias(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    renames = {
        alias: name
        for alias, name in _ENTRY_ALIASES.items()
        if alias in raw and name not in raw
    }
    if not renames:
        return raw
    return {renames.get(key, key): value for key, value in raw.items()}
