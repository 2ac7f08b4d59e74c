"""Character cards and lorebooks: reading and writing every format the hub takes.

Pure functions over bytes and dicts; no database, no web framework.
"""

from app.cards.charx import to_charx
from app.cards.errors import CardError
from app.cards.filename import safe_filename
from app.cards.hosted import from_hosted_fields, to_hosted_definition
from app.cards.model import (
    SELECTIVE_LOGIC,
    Character,
    CharacterFormat,
    ImportedCard,
    JSONObject,
    Lorebook,
    LorebookEntry,
    LorebookFormat,
    SelectiveLogic,
    SourceFormat,
)
from app.cards.parser import parse_object
from app.cards.png import card_png
from app.cards.reader import read_card
from app.cards.text import definition_parts, definition_text
from app.cards.worldinfo import lorebook_to_world_info
from app.cards.writer import (
    lorebook_to_character_book,
    lorebook_to_native,
    lorebook_to_v3,
    to_native,
    to_v2,
    to_v3,
)

__all__ = [
    "SELECTIVE_LOGIC",
    "CardError",
    "Character",
    "CharacterFormat",
    "ImportedCard",
    "JSONObject",
    "Lorebook",
    "LorebookEntry",
    "LorebookFormat",
    "SelectiveLogic",
    "SourceFormat",
    "card_png",
    "definition_parts",
    "definition_text",
    "from_hosted_fields",
    "lorebook_to_character_book",
    "lorebook_to_native",
    "lorebook_to_v3",
    "lorebook_to_world_info",
    "parse_object",
    "read_card",
    "safe_filename",
    "to_charx",
    "to_hosted_definition",
    "to_native",
    "to_v2",
    "to_v3",
]
