"""The canonical in-memory form of character cards and lorebooks.

Every object keeps what it needs to be written back exactly as it was read:

- `extra` holds the keys of the source object that the model has no field for, and
  the original value of a known key whose value the model cannot hold (a number where
  text belongs, a `null` where a flag belongs).
- `absent` names the fields the source object did not carry, so that an export in the
  same format does not add them.
- `source_format` says where the object came from, so that an export can tell a
  same-format round trip (keep the file as it was) from a conversion (fill in what the
  target format requires).

An object built in code has no source (`absent` is None): every export treats it
as a conversion, writing what the target requires and every field whose value is
not the default.
"""

from dataclasses import dataclass, field
from typing import Any, Literal

JSONObject = dict[str, Any]

CharacterFormat = Literal["v1", "v2", "v3", "charx", "png-v2", "png-v3"]
LorebookFormat = Literal["worldinfo", "lorebook_v3", "character_book"]
SourceFormat = CharacterFormat | LorebookFormat

SelectiveLogic = Literal["and_any", "not_all", "not_any", "and_all"]
# Index = the number SillyTavern stores in `selectiveLogic`.
SELECTIVE_LOGIC: tuple[SelectiveLogic, ...] = (
    "and_any",
    "not_all",
    "not_any",
    "and_all",
)


@dataclass
class LorebookEntry:
    """One lorebook entry, with the V3 fields and SillyTavern's selective logic.

    `position` keeps the value of the source: a string (`before_char`, `after_char`
    or anything else a tool wrote) in card lorebooks, SillyTavern's number in world
    info. `selective_logic` is None when the source did not say; readers treat that
    as `and_any`. In card lorebooks it lives in `extensions.selectiveLogic`, and the
    field wins over that key on export.
    """

    keys: list[str] = field(default_factory=list)
    content: str = ""
    extensions: JSONObject = field(default_factory=dict)
    enabled: bool = True
    insertion_order: int | float = 100
    case_sensitive: bool | None = None
    use_regex: bool = False
    constant: bool = False
    selective: bool = False
    selective_logic: SelectiveLogic | None = None
    secondary_keys: list[str] = field(default_factory=list)
    name: str = ""
    priority: int | float | None = None
    id: int | str | None = None
    comment: str = ""
    position: str | int | None = None
    extra: JSONObject = field(default_factory=dict)
    absent: set[str] | None = None


@dataclass
class Lorebook:
    """A lorebook: standalone, or embedded in a character as `character_book`.

    `envelope_extra` holds the keys beside `spec` and `data` of a `lorebook_v3` file.
    """

    entries: list[LorebookEntry] = field(default_factory=list)
    name: str = ""
    description: str = ""
    scan_depth: int | float | None = None
    token_budget: int | float | None = None
    recursive_scanning: bool = False
    extensions: JSONObject = field(default_factory=dict)
    source_format: LorebookFormat = "lorebook_v3"
    extra: JSONObject = field(default_factory=dict)
    envelope_extra: JSONObject = field(default_factory=dict)
    absent: set[str] | None = None


@dataclass
class Character:
    """A character with every V3 field.

    `extra` holds unknown keys of `data` (of the top level for V1 cards);
    `top_extra` holds the keys beside `spec` and `data`, such as `spec_version`.
    `top_copies` names the V1 fields that the source repeated beside `data` with the
    same value (SillyTavern does); exports repeat the current value there.
    """

    name: str = ""
    description: str = ""
    personality: str = ""
    scenario: str = ""
    first_mes: str = ""
    mes_example: str = ""
    creator_notes: str = ""
    system_prompt: str = ""
    post_history_instructions: str = ""
    alternate_greetings: list[str] = field(default_factory=list)
    character_book: Lorebook | None = None
    tags: list[str] = field(default_factory=list)
    creator: str = ""
    character_version: str = ""
    extensions: JSONObject = field(default_factory=dict)
    assets: list[JSONObject] = field(default_factory=list)
    nickname: str = ""
    creator_notes_multilingual: JSONObject = field(default_factory=dict)
    source: list[str] = field(default_factory=list)
    group_only_greetings: list[str] = field(default_factory=list)
    creation_date: int | float | None = None
    modification_date: int | float | None = None
    source_format: CharacterFormat = "v3"
    extra: JSONObject = field(default_factory=dict)
    top_extra: JSONObject = field(default_factory=dict)
    top_copies: list[str] = field(default_factory=list)
    absent: set[str] | None = None


@dataclass
class ImportedCard:
    """What `read_card` found in a file: a character or a standalone lorebook.

    `avatar` is the card's image (a PNG card without its card chunks, or a CharX
    card's main icon). `assets` holds every other file of a CharX archive by its path
    in the archive, which is what `embeded://` URIs point at.
    """

    source_format: SourceFormat
    character: Character | None = None
    lorebook: Lorebook | None = None
    avatar: bytes | None = None
    assets: dict[str, bytes] = field(default_factory=dict)
