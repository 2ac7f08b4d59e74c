"""SillyTavern world info: reading it, writing it, and mapping it to card lorebooks.

World info keeps its entries in an object keyed by `uid` and uses its own names
(`key`, `keysecondary`, `disable`, `order`, numeric `position` and `selectiveLogic`).
A card lorebook keeps what world info has and cards do not in `extensions` (of the
book, of each entry), under SillyTavern's snake_case names where it has them.
Converting to world info spreads `extensions` into the object's own keys, except
those that clash with a world-info key, which stay under `extensions`; converting
back gathers them again, so a conversion there and back keeps every key.
"""

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from app.cards.model import JSONObject, Lorebook, LorebookEntry
from app.cards.schema import (
    WORLD_INFO_BOOK_FIELDS,
    WORLD_INFO_ENTRY_FIELDS,
    entry_items,
    read_fields,
    write_fields,
)

# World-info key -> card entry `extensions` key, where SillyTavern renames them.
WORLD_INFO_TO_EXTENSION = {
    "excludeRecursion": "exclude_recursion",
    "preventRecursion": "prevent_recursion",
    "delayUntilRecursion": "delay_until_recursion",
    "displayIndex": "display_index",
    "groupOverride": "group_override",
    "groupWeight": "group_weight",
    "scanDepth": "scan_depth",
    "matchWholeWords": "match_whole_words",
    "useGroupScoring": "use_group_scoring",
    "automationId": "automation_id",
}
EXTENSION_TO_WORLD_INFO = {ext: wi for wi, ext in WORLD_INFO_TO_EXTENSION.items()}

_ENTRY_KEYS = frozenset(spec.key for spec in WORLD_INFO_ENTRY_FIELDS)
_BOOK_KEYS = frozenset(spec.key for spec in WORLD_INFO_BOOK_FIELDS) | {"entries"}
# Extension keys that the typed fields carry across on their own.
_TYPED_EXTENSIONS = frozenset({"position", "selectiveLogic"})


def read_world_info(obj: Mapping[str, Any]) -> Lorebook:
    """Read a SillyTavern world-info file."""
    values, extra, absent = read_fields(obj, WORLD_INFO_BOOK_FIELDS)
    raw_entries = extra.pop("entries", None)
    entries = [_read_entry(item) for item in entry_items(raw_entries)]
    return Lorebook(
        **values,
        entries=entries,
        source_format="worldinfo",
        extra=extra,
        absent=absent,
    )


def _read_entry(raw: Mapping[str, Any]) -> LorebookEntry:
    values, extra, absent = read_fields(raw, WORLD_INFO_ENTRY_FIELDS)
    return LorebookEntry(**values, extra=extra, absent=absent)


def lorebook_to_world_info(book: Lorebook) -> JSONObject:
    """A SillyTavern world-info file, entries keyed by uid."""
    if book.source_format == "worldinfo":
        out = write_fields(book, WORLD_INFO_BOOK_FIELDS, "wi", True)
        entries = [
            write_fields(entry, WORLD_INFO_ENTRY_FIELDS, "wi", True)
            for entry in book.entries
        ]
    else:
        out = _book_from_card(book)
        entries = [_entry_from_card(entry) for entry in book.entries]

    out["entries"] = _keyed_by_uid(entries)
    return out


def _book_from_card(book: Lorebook) -> JSONObject:
    flat, stash = _flatten_extensions(book.extensions, _BOOK_KEYS, {})
    typed = write_fields(
        replace(book, extra={}, extensions=stash), WORLD_INFO_BOOK_FIELDS, "wi", False
    )
    return {**book.extra, **flat, **typed}


def _entry_from_card(entry: LorebookEntry) -> JSONObject:
    extensions = {
        key: value
        for key, value in entry.extensions.items()
        if key not in _TYPED_EXTENSIONS
    }
    flat, stash = _flatten_extensions(extensions, _ENTRY_KEYS, EXTENSION_TO_WORLD_INFO)
    typed = write_fields(
        replace(entry, extra={}, extensions=stash),
        WORLD_INFO_ENTRY_FIELDS,
        "wi",
        False,
    )
    typed["position"] = _world_info_position(entry)
    return {**entry.extra, **flat, **typed}


def _flatten_extensions(
    extensions: JSONObject, reserved: frozenset[str], renames: Mapping[str, str]
) -> tuple[JSONObject, JSONObject]:
    """Split card extensions into world-info keys and those that would clash with
    a key world info already has, which stay in `extensions`."""
    flat: JSONObject = {}
    stash: JSONObject = {}
    for key, value in extensions.items():
        name = renames.get(key, key)
        if name in reserved:
            stash[key] = value
        else:
            flat[name] = value
    return flat, stash


def _world_info_position(entry: LorebookEntry) -> Any:
    stored = entry.extensions.get("position")
    if _is_int(stored):
        return stored
    if _is_int(entry.position):
        return entry.position
    return 0 if entry.position == "before_char" else 1


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _keyed_by_uid(entries: list[JSONObject]) -> JSONObject:
    """Key entries by their uid, giving a free uid to those without a usable one."""
    taken: set[int] = set()
    usable: list[bool] = []
    for entry in entries:
        uid = entry.get("uid")
        if isinstance(uid, int) and not isinstance(uid, bool) and uid not in taken:
            taken.add(uid)
            usable.append(True)
        else:
            usable.append(False)

    keyed: JSONObject = {}
    free = 0
    for entry, ok in zip(entries, usable, strict=True):
        if not ok:
            while free in taken:
                free += 1
            taken.add(free)
            entry["uid"] = free
        keyed[str(entry["uid"])] = entry
    return keyed


def card_book_from_world_info(book: Lorebook) -> Lorebook:
    """The card-shaped lorebook of a world-info lorebook.

    Book-level keys that cards do not know go to the book's `extensions`; entry keys
    to each entry's `extensions`. The result is meant for writing with
    `same_format=False`; `absent` still says which fields the world info had.
    """
    return replace(
        book,
        entries=[_card_entry(entry) for entry in book.entries],
        extensions={**book.extensions, **book.extra},
        extra={},
    )


def _card_entry(entry: LorebookEntry) -> LorebookEntry:
    extensions = dict(entry.extensions)
    for key, value in entry.extra.items():
        extensions[WORLD_INFO_TO_EXTENSION.get(key, key)] = value

    position = entry.position
    if _is_int(position):
        extensions["position"] = position
        position = "before_char" if position == 0 else "after_char"

    return replace(entry, extensions=extensions, position=position, extra={})
