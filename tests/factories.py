"""Small async factories for test data, written through the real services."""

import tempfile
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.cards import Character, Lorebook
from app.media.storage import LocalStorage, Storage
from app.models import Project, User
from app.projects import service as projects
from app.projects.service import ProjectMeta

_numbers = count(1)


@dataclass
class Caller:
    user: User
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"CH-API-KEY": self.key}


async def create_user(session: AsyncSession, **overrides: object) -> Caller:
    username = str(overrides.pop("username", f"user{next(_numbers)}"))
    new = await accounts.create_user(session, username, **overrides)  # type: ignore[arg-type]
    return Caller(user=new.user, key=new.api_key)


async def create_project(
    session: AsyncSession,
    owner: Caller | User,
    *,
    kind: str = "characters",
    name: str | None = None,
    visibility: str = "public",
    topics: list[str] | None = None,
    nsfw: bool = False,
    nsfl: bool = False,
    tagline: str = "",
    avatar: bytes | None = None,
    storage: Storage | None = None,
    **card_fields: Any,
) -> Project:
    """A character (or lorebook) made through the projects service."""
    user = owner.user if isinstance(owner, Caller) else owner
    meta = ProjectMeta(
        name=name or f"Project {next(_numbers)}",
        tagline=tagline,
        visibility=visibility,
        nsfw=nsfw,
        nsfl=nsfl,
        topics=topics or [],
        avatar=avatar,
    )
    storage = storage or LocalStorage(Path(tempfile.mkdtemp(prefix="rostro-media-")))
    if kind == "lorebooks":
        book = Lorebook(name=meta.name, entries=card_fields.pop("entries", []))
        return await projects.create_lorebook(session, storage, user, book, meta)
    card = Character(name=meta.name, **card_fields)
    return await projects.create_character(session, storage, user, card, meta)
