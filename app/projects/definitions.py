"""A project's definition: the card object as stored, and what derives from it."""

import secrets
from dataclasses import dataclass
from typing import Any

from app.cards import (
    Character,
    JSONObject,
    Lorebook,
    definition_text,
    lorebook_to_character_book,
    lorebook_to_v3,
    lorebook_to_world_info,
    parse_object,
    to_v2,
    to_v3,
)
from app.projects.tokens import count_tokens

# The stored JSON of a character keeps its card family; V1 cards are kept as V2,
# the oldest format the hub exports.
_CHARACTER_FAMILY = {
    "v1": "v2",
    "v2": "v2",
    "png-v2": "v2",
    "v3": "v3",
    "png-v3": "v3",
    "charx": "v3",
}


@dataclass(frozen=True)
class Stored:
    """What a write stores of a definition, and the columns derived from it."""

    definition: JSONObject
    source_format: str
    n_tokens: int
    has_lore_embedded: bool
    has_example_dialogues: bool
    has_alternate_greetings: bool
    has_custom_prompt: bool
    has_expressions: bool

    def columns(self) -> dict[str, Any]:
        return {
            "definition": self.definition,
            "source_format": self.source_format,
            "n_tokens": self.n_tokens,
            "has_lore_embedded": self.has_lore_embedded,
            "has_example_dialogues": self.has_example_dialogues,
            "has_alternate_greetings": self.has_alternate_greetings,
            "has_custom_prompt": self.has_custom_prompt,
            "has_expressions": self.has_expressions,
        }


def store_character(card: Character) -> Stored:
    family = _CHARACTER_FAMILY[card.source_format]
    definition = to_v3(card) if family == "v3" else to_v2(card)
    book = card.character_book
    return Stored(
        definition=definition,
        source_format=family,
        n_tokens=count_tokens(definition_text(card)),
        has_lore_embedded=book is not None and bool(book.entries),
        has_example_dialogues=bool(card.mes_example.strip()),
        has_alternate_greetings=any(g.strip() for g in card.alternate_greetings),
        has_custom_prompt=bool(
            card.system_prompt.strip() or card.post_history_instructions.strip()
        ),
        has_expressions=_has_expressions(card.extensions),
    )


def _has_expressions(extensions: JSONObject) -> bool:
    # Front ends keep expression packs under these extension keys.
    for key in ("expressions", "sillytavern_expressions", "chub_expressions"):
        if extensions.get(key):
            return True
    chub = extensions.get("chub")
    return isinstance(chub, dict) and bool(chub.get("expressions"))


def store_lorebook(book: Lorebook) -> Stored:
    if book.source_format == "worldinfo":
        definition = lorebook_to_world_info(book)
    elif book.source_format == "character_book":
        definition = lorebook_to_character_book(book)
    else:
        definition = lorebook_to_v3(book)
    text = "\n\n".join(entry.content for entry in book.entries if entry.content)
    return Stored(
        definition=definition,
        source_format=book.source_format,
        n_tokens=count_tokens(text),
        has_lore_embedded=bool(book.entries),
        has_example_dialogues=False,
        has_alternate_greetings=False,
        has_custom_prompt=False,
        has_expressions=False,
    )


def load_character(definition: JSONObject) -> Character:
    card = parse_object(definition).character
    if card is None:
        raise ValueError("the stored definition holds no character")
    return card


def load_lorebook(definition: JSONObject) -> Lorebook:
    found = parse_object(definition)
    if found.lorebook is None:
        raise ValueError("the stored definition holds no lorebook")
    return found.lorebook


def new_version_sha() -> str:
    """A version id shaped like a git commit id, unique per write."""
    return secrets.token_hex(20)
