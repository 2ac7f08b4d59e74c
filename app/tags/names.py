"""How tag names are compared: trimmed, case-insensitive, at most 64 characters."""

from app.errors import BadRequest

MAX_TAG_LENGTH = 64


class InvalidTagName(BadRequest):
    pass


def normalize_tag(name: str) -> str:
    """The key under which a tag is stored and compared."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidTagName("A tag name cannot be empty.")
    if len(cleaned) > MAX_TAG_LENGTH:
        raise InvalidTagName(f"A tag name has at most {MAX_TAG_LENGTH} characters.")
    return cleaned.lower()
