"""A project's definition: the card object as stored, and what derives from it."""

import secrets
from dataclasses import dataclass
from typing import Any

import py3langid as langid
from sqlalchemy import ColumnElement, cast, func, literal, literal_column
from sqlalchemy.dialects.postgresql import REGCONFIG

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

# A tsvector holds at most 1 MB; the start of a long definition is enough.
MAX_SEARCH_TEXT = 200_000
LANGUAGE_SAMPLE = 2_000


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
    search_text: str = ""
    language: str | None = None

    def columns(self) -> dict[str, Any]:
        return {
            "definition_tsv": definition_vector(self.search_text),
            "language": self.language,
            "definition": self.definition,
            "source_format": self.source_format,
            "n_tokens": self.n_tokens,
            "has_lore_embedded": self.has_lore_embedded,
            "has_example_dialogues": self.has_example_dialogues,
            "has_alternate_greetings": self.has_alternate_greetings,
            "has_custom_prompt": self.has_custom_prompt,
            "has_expressions": self.has_expressions,
        }


def definition_vector(text: str) -> ColumnElement[Any]:
    """The definition's words for full-text search, at the lowest weight."""
    english = cast(literal("english"), REGCONFIG)
    weight: ColumnElement[Any] = literal_column("'D'::\"char\"")
    return func.setweight(func.to_tsvector(english, text[:MAX_SEARCH_TEXT]), weight)


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the text's language, None when there is too little."""
    sample = text[:LANGUAGE_SAMPLE].strip()
    if len(sample) < 20:
        return None
    code, _ = langid.classify(sample)
    return str(code)


def store_character(card: Character) -> Stored:
    # Stored in the card's own format (V1 as V2), which reads back without loss.
    definition = to_native(card)
    book = card.character_book
    text = definition_text(card)
    return Stored(
        search_text=text,
        language=detect_language(f"{card.description}\n{card.first_mes}"),
        definition=definition,
        source_format=definition["spec"].removeprefix("chara_card_"),
        n_tokens=count_tokens(text),
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
        search_text=text,
        language=detect_language(text),
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
