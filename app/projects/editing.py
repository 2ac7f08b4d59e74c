"""Creating and changing projects from API bodies."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.media.storage import Storage
from app.models import Project, User
from app.projects import bodies, service
from app.projects.definitions import (
    load_character,
    load_lorebook,
    store_character,
    store_lorebook,
)
from app.tags import service as tags


async def create_character(
    session: AsyncSession, storage: Storage, user: User, body: dict[str, Any]
) -> Project:
    card, meta = bodies.new_character(body)
    return await service.create_character(session, storage, user, card, meta)


async def create_lorebook(
    session: AsyncSession, storage: Storage, user: User, body: dict[str, Any]
) -> Project:
    book, meta = bodies.new_lorebook(body)
    return await service.create_lorebook(session, storage, user, book, meta)


async def update_character(
    session: AsyncSession, storage: Storage, project: Project, body: dict[str, Any]
) -> None:
    """Change the fields a body sends; a changed definition becomes a version."""
    fields = bodies.card_fields(body)
    changes = bodies.meta_changes(body)
    if fields:
        card = load_character(project.definition)
        for name, value in fields.items():
            setattr(card, name, value)
        if "name" in fields:
            project.name = card.name
        await service.replace_definition(
            session, storage, project, store_character(card)
        )
    await apply_changes(session, storage, project, changes)


async def update_lorebook(
    session: AsyncSession, storage: Storage, project: Project, body: dict[str, Any]
) -> None:
    changes = bodies.meta_changes(body)
    book = load_lorebook(project.definition)
    changed = False
    if any(key in body for key in ("entries", "lorebook", "data")):
        new = bodies.lorebook_of(body)
        book.entries, changed = new.entries, True
    for key in ("name", "description"):
        value = body.get(key)
        if isinstance(value, str) and (key != "name" or value.strip()):
            setattr(book, key, value)
            setattr(project, key, value)
            changed = True
    if changed:
        await service.replace_definition(
            session, storage, project, store_lorebook(book)
        )
    await apply_changes(session, storage, project, changes)


async def apply_changes(
    session: AsyncSession, storage: Storage, project: Project, changes: dict[str, Any]
) -> None:
    """Page fields: topics first, so that explicit flags win over flag tags."""
    if "topics" in changes:
        await tags.replace_tags(session, project, changes["topics"])
    if "avatar" in changes:
        await service.set_avatar(session, storage, project, changes["avatar"])
    service.apply_meta(project, changes)
    await session.flush()
