"""The hosted service's names for a character's fields, in both directions.

The hosted service's `definition` and its create and update bodies name fields its
own way (`personality` is the card's `description`, `description` is the card's
`creator_notes`, ...); clients map them to a V2 card as `spec/compat.md` records.
"""

from collections.abc import Mapping
from typing import Any, Literal

from app.cards.errors import CardError
from app.cards.model import Character, JSONObject, Lorebook
from app.cards.parser import parse_object
from app.cards.schema import CHARACTER_FIELDS, INVALID, Kind, coerce
from app.cards.writer import lorebook_to_character_book

Naming = Literal["auto", "hosted", "card"]

# Hosted name -> card field, where they differ.
HOSTED_TO_CARD = {
    "personality": "description",
    "tavern_personality": "personality",
    "description": "creator_notes",
    "first_message": "first_mes",
    "example_dialogs": "mes_example",
    "embedded_lorebook": "character_book",
}
_HOSTED_ONLY = frozenset(HOSTED_TO_CARD) - {"personality", "description"} | {"tagline"}
_CARD_ONLY = frozenset({"first_mes", "mes_example", "creator_notes", "character_book"})
_KINDS: dict[str, Kind] = {spec.attr: spec.kind for spec in CHARACTER_FIELDS}
_KIND_WORDS: dict[Kind, str] = {
    "text": "a string",
    "texts": "a list of strings",
    "object": "an object",
    "objects": "a list of objects",
    "opt_number": "a number",
}


def to_hosted_definition(card: Character, tagline: str = "") -> JSONObject:
    """The character under the hosted service's names (`node.definition`)."""
    book = card.character_book
    return {
        "name": card.name,
        "personality": card.description,
        "tavern_personality": card.personality,
        "description": card.creator_notes,
        "first_message": card.first_mes,
        "example_dialogs": card.mes_example,
        "scenario": card.scenario,
        "system_prompt": card.system_prompt,
        "post_history_instructions": card.post_history_instructions,
        "alternate_greetings": card.alternate_greetings,
        "embedded_lorebook": lorebook_to_character_book(book) if book else None,
        "extensions": card.extensions,
        "character_version": card.character_version,
        "tagline": tagline,
    }


def from_hosted_fields(body: Mapping[str, Any], naming: Naming = "auto") -> JSONObject:
    """The card fields a create or update body sets, by `Character` attribute.

    `description` and `personality` mean different fields under the two namings.
    With `naming="auto"` the body is read under the card's names when it uses a
    name only cards have (`first_mes`, `creator_notes`, ...) and none only the
    hosted service has; otherwise under the hosted names. Keys that are not card
    fields (`tagline`, anything unknown) are left out. A value of the wrong type
    raises CardError; `embedded_lorebook: null` clears the lorebook.
    """
    if naming == "auto":
        naming = _guess_naming(body)
    renames = HOSTED_TO_CARD if naming == "hosted" else {}

    fields: JSONObject = {}
    for key, value in body.items():
        attr = renames.get(key, key)
        if attr == "character_book":
            fields[attr] = _lorebook(key, value)
        elif attr in _KINDS:
            fields[attr] = _value(key, attr, value)
    return fields


def _guess_naming(body: Mapping[str, Any]) -> Naming:
    if _HOSTED_ONLY.isdisjoint(body) and not _CARD_ONLY.isdisjoint(body):
        return "card"
    return "hosted"


def _value(key: str, attr: str, value: object) -> Any:
    kind = _KINDS[attr]
    coerced = coerce(kind, value)
    if coerced is INVALID:
        raise CardError(f"`{key}` must be {_KIND_WORDS.get(kind, 'a valid value')}")
    if attr == "name" and not coerced.strip():
        raise CardError("`name` must not be empty")
    return coerced


def _lorebook(key: str, value: object) -> Lorebook | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise CardError(f"`{key}` must be a lorebook object or null")
    found = parse_object({"entries": [], **value})
    if found.lorebook is None:
        raise CardError(f"`{key}` must be a lorebook object or null")
    return found.lorebook
