"""File names for exported cards, derived from names people typed."""

import re
import unicodedata

MAX_NAME_BYTES = 200
FALLBACK_NAME = "card"

# Path separators and the characters Windows reserves in file names.
_RESERVED = re.compile(r'[/\\<>:"|?*]')
_SPACES = re.compile(r"\s+")
# Bidirectional overrides make a name display differently from what it is.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{n}" for n in range(1, 10)}
    | {f"LPT{n}" for n in range(1, 10)}
)


def safe_filename(name: str, ext: str) -> str:
    """A file name for `name` with extension `ext`, safe on common file systems.

    Letters of every script, emoji and combining marks are kept; path separators,
    reserved characters and white space become one space, other control characters
    go, and the name is cut to fit in `MAX_NAME_BYTES` of UTF-8.
    """
    stem = unicodedata.normalize("NFC", name)
    stem = "".join(_clean(char) for char in stem)
    stem = _SPACES.sub(" ", _RESERVED.sub(" ", stem)).strip(" .")
    stem = _fit(stem).strip(" .")

    if not stem:
        stem = FALLBACK_NAME
    if stem.split(".")[0].upper() in _WINDOWS_DEVICES:
        stem = f"_{stem}"
    suffix = ext.lstrip(".").lower()
    return f"{stem}.{suffix}" if suffix else stem


def _clean(char: str) -> str:
    if char.isspace():
        return " "
    if unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS:
        return ""
    return char


def _fit(stem: str) -> str:
    encoded = stem.encode("utf-8")
    if len(encoded) <= MAX_NAME_BYTES:
        return stem
    return encoded[:MAX_NAME_BYTES].decode("utf-8", errors="ignore")
