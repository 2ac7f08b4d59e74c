"""Create and update bodies of characters and lorebooks, read into the model.

Clients send the card's field names or the hosted service's, plus page fields
(tagline, topics, flags, visibility, an avatar as a data URL).
"""

from dataclasses import fields as dataclass_fields
from typing import Any

from app.cards import CardError, Character, Lorebook, from_hosted_fields, parse_object
from app.errors import BadRequest
from app.media.images import decode_data_url
from app.projects.service import VISIBILITIES, ProjectMeta

_CHARACTER_ATTRS = {f.name for f in dataclass_fields(Character)}
_META_KEYS = ("tagline", "visibility", "is_public", "nsfw", "nsfl", "topics", "avatar")


class InvalidBody(BadRequest):
    pass


def topics_of(value: object) -> list[str]:
    """Topics as a list, from a list or a comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [t for t in (part.strip() for part in value.split(",")) if t]
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return [t for t in value if t.strip()]
    raise InvalidBody(
        "`topics` must be a list of tag names or a comma-separated string."
    )


def meta_changes(body: dict[str, Any]) -> dict[str, Any]:
    """The page fields a body sets, checked."""
    changes: dict[str, Any] = {}
    if "tagline" in body:
        changes["tagline"] = _text(body, "tagline", 500)
    if "visibility" in body:
        if body["visibility"] not in VISIBILITIES:
            raise InvalidBody(f"`visibility` is one of {', '.join(VISIBILITIES)}.")
        changes["visibility"] = body["visibility"]
    elif isinstance(body.get("is_public"), bool):
        changes["visibility"] = "public" if body["is_public"] else "private"
    for flag in ("nsfw", "nsfl"):
        if flag in body:
            if not isinstance(body[flag], bool):
                raise InvalidBody(f"`{flag}` must be true or false.")
            changes[flag] = body[flag]
    if "topics" in body:
        changes["topics"] = topics_of(body["topics"])
    if body.get("avatar"):
        if not isinstance(body["avatar"], str):
            raise InvalidBody("`avatar` must be a data URL or base64 text.")
        changes["avatar"] = decode_data_url(body["avatar"])
    return changes


def _text(body: dict[str, Any], key: str, limit: int) -> str:
    value = body[key]
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidBody(f"`{key}` must be text of at most {limit} characters.")
    return value


def card_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The character fields a body sets, under the card's attribute names."""
    try:
        fields = from_hosted_fields(
            {k: v for k, v in body.items() if k not in _META_KEYS}
        )
    except CardError as error:
        raise InvalidBody(error.message) from None
    return {k: v for k, v in fields.items() if k in _CHARACTER_ATTRS}


def new_character(body: dict[str, Any]) -> tuple[Character, ProjectMeta]:
    fields = card_fields(body)
    name = fields.get("name", "")
    if not isinstance(name, str) or not name.strip():
        raise InvalidBody("A character needs a non-empty `name`.")
    card = Character(source_format="v2", **fields)
    return card, _meta(name, card.creator_notes, meta_changes(body))


def new_lorebook(body: dict[str, Any]) -> tuple[Lorebook, ProjectMeta]:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidBody("A lorebook needs a non-empty `name`.")
    book = lorebook_of(body)
    book.name = name
    description = body.get("description")
    if isinstance(description, str):
        book.description = description
    return book, _meta(name, book.description, meta_changes(body))


def lorebook_of(body: dict[str, Any]) -> Lorebook:
    """The lorebook in a body: its `entries` in any format the hub reads."""
    source = body.get("lorebook") or body.get("data") or body
    if not isinstance(source, dict):
        raise InvalidBody("`lorebook` must be an object.")
    try:
        found = parse_object({"entries": [], **source})
    except CardError as error:
        raise InvalidBody(error.message) from None
    if found.lorebook is None:
        raise InvalidBody("The body holds no lorebook entries.")
    return found.lorebook


def _meta(name: str, description: str, changes: dict[str, Any]) -> ProjectMeta:
    return ProjectMeta(
        name=name.strip(),
        description=description,
        tagline=changes.get("tagline", ""),
        visibility=changes.get("visibility", "public"),
        nsfw=changes.get("nsfw", False),
        nsfl=changes.get("nsfl", False),
        topics=changes.get("topics", []),
        avatar=changes.get("avatar"),
    )
