"""Field tables of each format, and the two loops that read and write them.

A table maps a key of the file to a model attribute, says what kind of value it
holds, and in which target formats the key is required or optional. Writing follows
one rule (`write_fields`). A field whose value differs from the model's default is
always written. A field at its default is written

- in a same-format export, when the source had it;
- in a conversion, when the target requires it, or the source had it and the target
  has such a field.
"""

from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import MISSING, dataclass, fields
from typing import Any, Literal

from app.cards.model import (
    SELECTIVE_LOGIC,
    Character,
    JSONObject,
    Lorebook,
    LorebookEntry,
)

Kind = Literal[
    "text",
    "texts",
    "object",
    "objects",
    "number",
    "opt_number",
    "flag",
    "opt_flag",
    "id",
    "position",
    "inverted_flag",
    "logic",
]
Target = Literal["v2", "v3", "wi"]
Model = Character | Lorebook | LorebookEntry


@dataclass(frozen=True)
class FieldSpec:
    key: str
    attr: str
    kind: Kind
    required_in: frozenset[Target]
    optional_in: frozenset[Target]


_CARDS: tuple[Target, ...] = ("v2", "v3")
_V3: tuple[Target, ...] = ("v3",)
_WI: tuple[Target, ...] = ("wi",)


def _spec(
    key: str,
    kind: Kind,
    req: tuple[Target, ...] = (),
    opt: tuple[Target, ...] = (),
    attr: str = "",
) -> FieldSpec:
    return FieldSpec(key, attr or key, kind, frozenset(req), frozenset(opt))


V1_KEYS = ("name", "description", "personality", "scenario", "first_mes", "mes_example")

CHARACTER_FIELDS = (
    *(_spec(key, "text", _CARDS) for key in V1_KEYS),
    _spec("creator_notes", "text", _CARDS),
    _spec("system_prompt", "text", _CARDS),
    _spec("post_history_instructions", "text", _CARDS),
    _spec("alternate_greetings", "texts", _CARDS),
    _spec("tags", "texts", _CARDS),
    _spec("creator", "text", _CARDS),
    _spec("character_version", "text", _CARDS),
    _spec("extensions", "object", _CARDS),
    _spec("assets", "objects", opt=_V3),
    _spec("nickname", "text", opt=_V3),
    _spec("creator_notes_multilingual", "object", opt=_V3),
    _spec("source", "texts", opt=_V3),
    _spec("group_only_greetings", "texts", _V3),
    _spec("creation_date", "opt_number", opt=_V3),
    _spec("modification_date", "opt_number", opt=_V3),
)

BOOK_FIELDS = (
    _spec("name", "text", opt=_CARDS),
    _spec("description", "text", opt=_CARDS),
    _spec("scan_depth", "opt_number", opt=_CARDS),
    _spec("token_budget", "opt_number", opt=_CARDS),
    _spec("recursive_scanning", "flag", opt=_CARDS),
    _spec("extensions", "object", _CARDS),
)

# World info has no book-level fields of its own; these keep a card lorebook's
# fields when it is written as world info and read back.
WORLD_INFO_BOOK_FIELDS = (
    _spec("name", "text", opt=_WI),
    _spec("description", "text", opt=_WI),
    _spec("scan_depth", "opt_number"),
    _spec("token_budget", "opt_number"),
    _spec("recursive_scanning", "flag"),
    _spec("extensions", "object"),
)

ENTRY_FIELDS = (
    _spec("keys", "texts", _CARDS),
    _spec("content", "text", _CARDS),
    _spec("extensions", "object", _CARDS),
    _spec("enabled", "flag", _CARDS),
    _spec("insertion_order", "number", _CARDS),
    _spec("case_sensitive", "opt_flag", opt=_CARDS),
    _spec("use_regex", "flag", _V3),
    _spec("constant", "flag", opt=_CARDS),
    _spec("selective", "flag", opt=_CARDS),
    _spec("secondary_keys", "texts", opt=_CARDS),
    _spec("name", "text", opt=_CARDS),
    _spec("priority", "opt_number", opt=_CARDS),
    _spec("id", "id", opt=_CARDS),
    _spec("comment", "text", opt=_CARDS),
    _spec("position", "position", opt=_CARDS),
)

WORLD_INFO_ENTRY_FIELDS = (
    _spec("uid", "id", _WI, attr="id"),
    _spec("key", "texts", _WI, attr="keys"),
    _spec("keysecondary", "texts", _WI, attr="secondary_keys"),
    _spec("comment", "text", _WI),
    _spec("content", "text", _WI),
    _spec("constant", "flag", _WI),
    _spec("selective", "flag", _WI),
    _spec("order", "number", _WI, attr="insertion_order"),
    _spec("position", "position", _WI),
    _spec("disable", "inverted_flag", _WI, attr="enabled"),
    _spec("selectiveLogic", "logic", _WI, attr="selective_logic"),
    _spec("caseSensitive", "opt_flag", opt=_WI, attr="case_sensitive"),
    # Not SillyTavern keys: they keep a card entry's fields through world info.
    _spec("extensions", "object"),
    _spec("name", "text"),
    _spec("priority", "opt_number"),
    _spec("use_regex", "flag"),
)


class _Invalid:
    """Marks a value the model cannot hold."""


INVALID = _Invalid()


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _texts(value: object) -> list[str] | _Invalid:
    # Compat: cards carry `alternate_greetings` (and tags, keys) as one string.
    if isinstance(value, str):
        return [value] if value else []
    if not isinstance(value, list):
        return INVALID
    if all(isinstance(item, str) for item in value):
        return value
    # Numbers among keys and tags are read as their text; nulls are skipped.
    if all(item is None or isinstance(item, str) or _is_number(item) for item in value):
        return [
            item if isinstance(item, str) else str(item)
            for item in value
            if item is not None
        ]
    return INVALID


def coerce(kind: Kind, value: object) -> Any:
    """The model's value for a file value of `kind`, or INVALID."""
    if kind == "texts":
        return _texts(value)
    if kind == "logic":
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
            return SELECTIVE_LOGIC[value]
        return INVALID
    if kind == "inverted_flag":
        return (not value) if isinstance(value, bool) else INVALID
    if kind == "objects":
        ok = isinstance(value, list) and all(isinstance(v, dict) for v in value)
        return value if ok else INVALID
    return value if _ACCEPTS[kind](value) else INVALID


_ACCEPTS: dict[Kind, Callable[[object], bool]] = {
    "text": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "number": _is_number,
    "opt_number": lambda v: v is None or _is_number(v),
    "flag": lambda v: isinstance(v, bool),
    "opt_flag": lambda v: v is None or isinstance(v, bool),
    "id": lambda v: v is None or isinstance(v, str) or _is_number(v),
    "position": lambda v: v is None or isinstance(v, str) or _is_number(v),
}


def dump(kind: Kind, value: Any) -> Any:
    """The file value of a model value of `kind`."""
    if kind == "inverted_flag":
        return not value
    if kind == "logic":
        return SELECTIVE_LOGIC.index(value) if value is not None else 0
    return value


def read_fields(
    raw: Mapping[str, Any], specs: tuple[FieldSpec, ...]
) -> tuple[JSONObject, JSONObject, set[str]]:
    """Split a source object into model values, extra keys and absent fields."""
    known = {spec.key for spec in specs}
    values: JSONObject = {}
    extra = {key: value for key, value in raw.items() if key not in known}
    absent: set[str] = set()

    for spec in specs:
        if spec.key not in raw:
            absent.add(spec.attr)
            continue
        value = coerce(spec.kind, raw[spec.key])
        if value is INVALID:
            absent.add(spec.attr)
            extra[spec.key] = raw[spec.key]
        else:
            values[spec.attr] = value

    return values, extra, absent


def write_fields(
    obj: Model, specs: tuple[FieldSpec, ...], target: Target, same_format: bool
) -> JSONObject:
    """The source object of `obj` in `target`, following the module's rule."""
    defaults = _DEFAULTS[type(obj)]
    # An object built in code has no source: nothing in it came from one.
    absent: AbstractSet[str] = _ALL_ATTRS if obj.absent is None else obj.absent
    same_format = same_format and obj.absent is not None
    out = dict(obj.extra)

    for spec in specs:
        value = getattr(obj, spec.attr)
        if value != defaults[spec.attr] or _keeps_default(
            spec, spec.attr not in absent, target, same_format
        ):
            out[spec.key] = dump(spec.kind, value)

    return out


def _keeps_default(
    spec: FieldSpec, in_source: bool, target: Target, same_format: bool
) -> bool:
    if same_format:
        return in_source
    if target in spec.required_in:
        return True
    return in_source and target in spec.optional_in


def entry_items(raw: object) -> list[JSONObject]:
    """The entry objects of `entries`, a list or an object keyed by id."""
    # Compat: `entries` comes as an object keyed by id as well as a list.
    if isinstance(raw, dict):
        raw = list(raw.values())
    if not isinstance(raw, list):
        return []
    return [item for item in raw if isinstance(item, dict)]


def _defaults(cls: type[Model]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for item in fields(cls):
        if item.default is not MISSING:
            result[item.name] = item.default
        elif item.default_factory is not MISSING:
            result[item.name] = item.default_factory()
    return result


_DEFAULTS = {cls: _defaults(cls) for cls in (Character, Lorebook, LorebookEntry)}
_ALL_ATTRS = frozenset(name for defaults in _DEFAULTS.values() for name in defaults)
