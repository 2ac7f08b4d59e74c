"""World-info keyword rules: when does a lorebook entry fire for a text.

An entry fires when it is enabled and either constant or one of its primary
keys occurs in the text and its secondary keys satisfy the selective logic
(only when the entry is selective and has secondary keys):

- ``and_any``: at least one secondary key occurs;
- ``and_all``: every secondary key occurs;
- ``not_any``: no secondary key occurs;
- ``not_all``: not every secondary key occurs.

Keys match case-insensitively unless the entry says otherwise, as whole words
unless the entry turns that off, and as regular expressions when the entry
uses regex (V3 ``use_regex``) or when a key is written ``/pattern/flags`` as
SillyTavern allows.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import regex
import structlog

log = structlog.get_logger(__name__)

# Lorebook authors write the expressions and anyone may query a public book,
# so a pathological pattern must not hold a request thread for long.
REGEX_TIMEOUT_SECONDS = 0.05

_SLASHED = regex.compile(r"^/(.+)/([a-z]*)$", regex.DOTALL)
# Scripts written without spaces between words, where "whole words" cannot
# be told from the text and would make a key never match.
_UNSPACED_SCRIPT = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}]")
_FLAGS = {"i": regex.IGNORECASE, "s": regex.DOTALL, "m": regex.MULTILINE}


@dataclass(frozen=True)
class Rules:
    """The parts of an entry that decide whether it fires."""

    keys: Sequence[str] = ()
    secondary_keys: Sequence[str] = ()
    selective: bool = False
    selective_logic: str = "and_any"
    constant: bool = False
    enabled: bool = True
    case_sensitive: bool | None = None
    use_regex: bool = False
    match_whole_words: bool | None = None


@dataclass
class Match:
    """Why an entry fired: the keys found, or its being constant."""

    keys: list[str] = field(default_factory=list)
    secondary_keys: list[str] = field(default_factory=list)
    constant: bool = False

    @property
    def matched_keys(self) -> list[str]:
        return [*self.keys, *self.secondary_keys]


def evaluate(rules: Rules, text: str) -> Match | None:
    """The match of an entry against `text`, or None when it does not fire."""
    if not rules.enabled:
        return None
    primary = [key for key in rules.keys if key_occurs(rules, key, text)]
    if not primary:
        return Match(constant=True) if rules.constant else None

    secondary_keys = [key for key in rules.secondary_keys if key.strip()]
    if not rules.selective or not secondary_keys:
        return Match(keys=primary)
    found = [key for key in secondary_keys if key_occurs(rules, key, text)]
    if _logic_holds(rules.selective_logic, len(found), len(secondary_keys)):
        return Match(keys=primary, secondary_keys=found)
    return Match(constant=True) if rules.constant else None


def _logic_holds(logic: str, found: int, total: int) -> bool:
    if logic == "and_all":
        return found == total
    if logic == "not_any":
        return found == 0
    if logic == "not_all":
        return found < total
    return found > 0


def key_occurs(rules: Rules, key: str, text: str) -> bool:
    """Whether one key occurs in `text` under the entry's rules."""
    if not key.strip():
        return False
    pattern = compile_key(
        key,
        bool(rules.case_sensitive),
        rules.match_whole_words is not False,
        rules.use_regex,
    )
    if pattern is None:
        return False
    try:
        return pattern.search(text, timeout=REGEX_TIMEOUT_SECONDS) is not None
    except TimeoutError:
        log.warning("lore.regex_timeout", key_length=len(key))
        return False


def is_regex_key(key: str, use_regex: bool) -> bool:
    return use_regex or _SLASHED.match(key.strip()) is not None


@lru_cache(maxsize=4096)
def compile_key(
    key: str, case_sensitive: bool, whole_words: bool, use_regex: bool
) -> "regex.Pattern[str] | None":
    """The pattern of a key; None for a regular expression that does not
    compile (an author's typo should not fail the query)."""
    flags = 0 if case_sensitive else regex.IGNORECASE | regex.FULLCASE
    slashed = _SLASHED.match(key.strip())
    if slashed is not None:
        # Compat: as in SillyTavern, a /pattern/flags key obeys its own flags.
        return _compile(slashed[1], _slash_flags(slashed[2]))
    if use_regex:
        return _compile(key, flags)

    body = regex.escape(key.strip())
    if whole_words and not _UNSPACED_SCRIPT.search(key):
        body = rf"(?<!\w){body}(?!\w)"
    return _compile(body, flags)


def _slash_flags(letters: str) -> int:
    flags = 0
    for letter in letters:
        flags |= _FLAGS.get(letter, 0)
    return flags


def _compile(pattern: str, flags: int) -> "regex.Pattern[str] | None":
    try:
        return regex.compile(pattern, flags | regex.VERSION0)
    except regex.error:
        log.warning("lore.bad_regex_key")
        return None
