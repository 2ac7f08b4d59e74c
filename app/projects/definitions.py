"""A project's definition: the card object as stored, and what derives from it."""

import secrets
from dataclasses import dataclass
from typing import Any

from app.cards import (
    Character,
    JSONObject,
    Lorebook,
    definition_text,
    lorebook_to_native,
    parse_object,
    to_native,
)
from app.projects.tokens import count_tokens


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
    # Stored in the card's own format (V1 as V2), which reads back without loss.
    definition = to_native(card)
    book = card.character_book
    return Stored(
        definition=definition,
        source_format=definition["spec"].removeprefix("chara_card_"),
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
    definition = lorebook_to_native(book)
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
