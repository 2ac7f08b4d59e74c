"""What goes into lore: uploads and lorebooks turned into item drafts.

A lorebook becomes one draft per entry, keeping its world-info rules; any
other text becomes one draft split into passages. Nothing here touches the
database or the model.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.cards import CardError, Lorebook, LorebookEntry, read_card
from app.lore.chunking import split_passages
from app.lore.errors import NoLoreContent, UnreadableLore
from app.lore.keywords import Rules, is_regex_key

# Keys shown to the model beside an entry's text: they name what the entry is
# about, which its prose often only implies.
MAX_HEADER_KEYS = 8
_BINARY_SIGNATURES = (b"\x89PNG", b"PK\x03\x04")


@dataclass
class ItemDraft:
    """An item before it is stored: its text, passages and rules."""

    kind: str
    name: str
    content: str
    passages: list[str]
    rules: Rules = field(default_factory=Rules)
    insertion_order: float = 100.0
    position: str | int | None = None
    header: str = ""

    def embedding_texts(self) -> list[str]:
        """What the model reads for each passage: the header, then the text."""
        if not self.header:
            return list(self.passages)
        return [f"{self.header}\n{passage}" for passage in self.passages]


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def folded_keys(rules: Rules) -> list[str]:
    """Case-folded plain primary keys, for the SQL pre-filter."""
    return [
        key.strip().casefold()
        for key in rules.keys
        if key.strip() and not is_regex_key(key, rules.use_regex)
    ]


def from_lorebook(book: Lorebook) -> list[ItemDraft]:
    """One draft per entry that has text; entries without text say nothing."""
    drafts = [from_entry(entry) for entry in book.entries]
    return [draft for draft in drafts if draft is not None]


def from_entry(entry: LorebookEntry) -> ItemDraft | None:
    content = entry.content.strip()
    if not content:
        return None
    rules = Rules(
        keys=tuple(k for k in entry.keys if isinstance(k, str)),
        secondary_keys=tuple(k for k in entry.secondary_keys if isinstance(k, str)),
        selective=entry.selective,
        selective_logic=entry.selective_logic or "and_any",
        constant=entry.constant,
        enabled=entry.enabled,
        case_sensitive=entry.case_sensitive,
        use_regex=entry.use_regex,
        match_whole_words=_whole_words(entry),
    )
    name = (entry.name or entry.comment).strip()
    return ItemDraft(
        kind="entry",
        name=name,
        content=content,
        passages=split_passages(content),
        rules=rules,
        insertion_order=float(entry.insertion_order),
        position=entry.position,
        header=entry_header(name, rules.keys, rules.use_regex),
    )


def _whole_words(entry: LorebookEntry) -> bool | None:
    # Card lorebooks keep SillyTavern's flag in extensions; world info keeps
    # it as a key of its own, which the card reader leaves in `extra`.
    for value in (
        entry.extensions.get("match_whole_words"),
        entry.extra.get("matchWholeWords"),
    ):
        if isinstance(value, bool):
            return value
    return None


def entry_header(name: str, keys: Sequence[str], use_regex: bool) -> str:
    """The line the model reads before an entry's text: its name and keys."""
    plain = [k.strip() for k in keys if k.strip() and not is_regex_key(k, use_regex)]
    parts = [name] if name else []
    if plain:
        parts.append(", ".join(plain[:MAX_HEADER_KEYS]))
    return ": ".join(parts)


def from_text(text: str, name: str) -> ItemDraft:
    passages = split_passages(text)
    if not passages:
        raise NoLoreContent("The text is empty.")
    return ItemDraft(kind="text", name=name, content=text.strip(), passages=passages)


def read_upload(data: bytes, filename: str | None, name: str) -> list[ItemDraft]:
    """Drafts from an uploaded file: a lorebook (or a card's lorebook) by its
    format, anything else as UTF-8 text."""
    stripped = data.lstrip()
    if stripped.startswith((b"{", b"[")) or data.startswith(_BINARY_SIGNATURES):
        return _read_lorebook(data, filename)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableLore("The file is neither a lorebook nor UTF-8 text.") from None
    return [from_text(text, name)]


def read_content(content: str, name: str) -> list[ItemDraft]:
    """Drafts from a `content` field: a lorebook's JSON or plain text."""
    if content.lstrip().startswith("{") and _is_json(content):
        return _read_lorebook(content.encode(), None)
    return [from_text(content, name)]


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _read_lorebook(data: bytes, filename: str | None) -> list[ItemDraft]:
    try:
        imported = read_card(data, filename)
    except CardError as error:
        raise UnreadableLore(f"Cannot read this lorebook: {error.message}") from None
    book = imported.lorebook
    if book is None and imported.character is not None:
        book = imported.character.character_book
    if book is None:
        raise UnreadableLore("The card has no lorebook.")
    drafts = from_lorebook(book)
    if not drafts:
        raise NoLoreContent("The lorebook has no entries with text.")
    return drafts
