"""Projects: creating, changing and deleting characters and lorebooks."""

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import uuid4

import structlog
from slugify import slugify
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.cards import Character, Lorebook
from app.db import after_commit
from app.gallery import service as gallery
from app.lore import service as lore
from app.media.images import image_extension
from app.media.storage import Storage
from app.models import (
    LorebookLink,
    Project,
    ProjectDailyStats,
    ProjectVersion,
    User,
)
from app.projects.access import CHARACTERS, LOREBOOKS
from app.projects.definitions import (
    Stored,
    new_version_sha,
    store_character,
    store_lorebook,
)
from app.projects.errors import WrongProjectKind
from app.tags import service as tags

log = structlog.get_logger(__name__)

VISIBILITIES = ("public", "unlisted", "private")
MAX_SLUG_LENGTH = 80


@dataclass
class ProjectMeta:
    """What a project carries besides its definition."""

    name: str
    tagline: str = ""
    description: str = ""
    visibility: str = "public"
    nsfw: bool = False
    nsfl: bool = False
    topics: list[str] = field(default_factory=list)
    avatar: bytes | None = None
    forked_from_id: int | None = None


async def create_character(
    session: AsyncSession,
    storage: Storage,
    user: User,
    card: Character,
    meta: ProjectMeta,
) -> Project:
    return await _create(
        session, storage, user, CHARACTERS, store_character(card), meta
    )


async def create_lorebook(
    session: AsyncSession,
    storage: Storage,
    user: User,
    book: Lorebook,
    meta: ProjectMeta,
) -> Project:
    return await _create(session, storage, user, LOREBOOKS, store_lorebook(book), meta)


async def _create(
    session: AsyncSession,
    storage: Storage,
    user: User,
    kind: str,
    stored: Stored,
    meta: ProjectMeta,
) -> Project:
    project = Project(
        uuid=uuid4(),
        kind=kind,
        creator_id=user.id,
        slug=await unique_slug(session, user.id, kind, meta.name),
        name=meta.name,
        tagline=meta.tagline,
        description=meta.description,
        visibility=meta.visibility,
        nsfw=meta.nsfw,
        nsfl=meta.nsfl,
        version_sha=new_version_sha(),
        forked_from_id=meta.forked_from_id,
        # Known before the INSERT, so that adding the tags changes no column.
        tag_keys=tags.plain_keys(meta.topics),
        **stored.columns(),
    )
    if meta.avatar is not None:
        # Before the INSERT, so that the row is written once.
        await set_avatar(session, storage, project, meta.avatar)
    session.add(project)
    await session.flush()
    await tags.add_tags(session, project, meta.topics, has_tags=False)
    await lore.index_project(session, project, created=True)
    if meta.forked_from_id is not None:
        await session.execute(
            update(Project)
            .where(Project.id == meta.forked_from_id)
            .values(n_forks=Project.n_forks + 1)
        )
    log.info("projects.created", project_id=project.id, kind=kind)
    return project


SLUG_CACHE = "known_slugs"


async def unique_slug(
    session: AsyncSession, creator_id: int, kind: str, name: str
) -> str:
    """A slug for `name` that the creator has not used for this kind."""
    base = slugify(name, max_length=MAX_SLUG_LENGTH, word_boundary=True) or "untitled"
    if base.isdigit():
        # A numeric slug would read as a project id in paths.
        base = f"{base}-{kind[:-1]}"
    taken = await _taken_slugs(session, creator_id, kind, base)
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    taken.add(slug)
    return slug


async def _taken_slugs(
    session: AsyncSession, creator_id: int, kind: str, base: str
) -> set[str]:
    # A bulk import loads all of a creator's slugs once into session.info
    # (see `preload_slugs`) instead of asking for each card.
    cache: dict[tuple[int, str], set[str]] | None = session.info.get(SLUG_CACHE)
    if cache is not None and (creator_id, kind) in cache:
        return cache[(creator_id, kind)]
    stmt = select(Project.slug).where(
        Project.creator_id == creator_id,
        Project.kind == kind,
        Project.slug.startswith(base),
    )
    return set((await session.execute(stmt)).scalars())


async def preload_slugs(
    session: AsyncSession, creator_id: int
) -> dict[tuple[int, str], set[str]]:
    """Every slug of a creator, by kind, to share across a bulk import's sessions
    through ``session.info[SLUG_CACHE]``."""
    stmt = select(Project.kind, Project.slug).where(Project.creator_id == creator_id)
    cache: dict[tuple[int, str], set[str]] = {
        (creator_id, CHARACTERS): set(),
        (creator_id, LOREBOOKS): set(),
    }
    for kind, slug in await session.execute(stmt):
        cache[(creator_id, kind)].add(slug)
    return cache


async def set_avatar(
    session: AsyncSession, storage: Storage, project: Project, image: bytes
) -> None:
    """Store a checked image as the project's avatar; the old file goes after
    the commit."""
    extension = image_extension(image)
    digest = hashlib.sha256(image).hexdigest()[:24]
    key = f"avatars/{project.uuid}/{digest}.{extension}"
    await storage.put(key, image, f"image/{extension}")
    old = [k for k in (project.avatar_key, project.card_key) if k and k != key]
    project.avatar_key = key
    project.card_key = None
    _delete_after_commit(session, storage, old)


def _delete_after_commit(
    session: AsyncSession, storage: Storage, keys: list[str]
) -> None:
    async def remove() -> None:
        for key in keys:
            await storage.delete(key)

    if keys:
        after_commit(session, remove)


async def replace_definition(
    session: AsyncSession, storage: Storage, project: Project, stored: Stored
) -> None:
    """Give a project a new definition, keeping the previous one as a version."""
    session.add(
        ProjectVersion(
            project_id=project.id,
            sha=project.version_sha,
            definition=project.definition,
            source_format=project.source_format,
            created_at=project.version_at,
        )
    )
    for column, value in stored.columns().items():
        setattr(project, column, value)
    now = datetime.now(UTC)
    project.version_sha = new_version_sha()
    project.version_at = now
    project.last_activity_at = now
    _delete_after_commit(
        session, storage, [project.card_key] if project.card_key else []
    )
    project.card_key = None
    await session.flush()
    await lore.index_project(session, project)


def apply_meta(project: Project, changes: dict[str, object]) -> None:
    """Set the plain metadata columns given (name, tagline, flags, ...)."""
    for name in ("name", "tagline", "description", "visibility", "nsfw", "nsfl"):
        if name in changes and changes[name] is not None:
            setattr(project, name, changes[name])
    project.last_activity_at = datetime.now(UTC)


async def delete_project(
    session: AsyncSession, storage: Storage, project: Project
) -> None:
    delete_files_after_commit(session, storage, [project])
    await gallery.forget_project_images(session, storage, project)
    await session.delete(project)
    await session.flush()
    log.info("projects.deleted", project_id=project.id)


def delete_files_after_commit(
    session: AsyncSession, storage: Storage, projects: list[Project]
) -> None:
    """Remove the files of projects once their deletion has committed."""
    keys = [k for p in projects for k in (p.avatar_key, p.card_key) if k]
    folders = [f"{kind}/{p.id}/" for p in projects for kind in ("assets", "cards")]

    async def remove() -> None:
        for key in keys:
            await storage.delete(key)
        for folder in folders:
            await storage.delete_prefix(folder)

    if projects:
        after_commit(session, remove)


async def link_lorebook(
    session: AsyncSession, character: Project, lorebook: Project
) -> None:
    if character.kind != CHARACTERS:
        raise WrongProjectKind("Lorebooks are linked to characters only.")
    if lorebook.kind != LOREBOOKS:
        raise WrongProjectKind(f"Project {lorebook.id} is not a lorebook.")
    await session.execute(
        insert(LorebookLink)
        .values(character_id=character.id, lorebook_id=lorebook.id)
        .on_conflict_do_nothing()
    )
    character.has_lore_linked = True


async def unlink_lorebook(
    session: AsyncSession, character: Project, lorebook_id: int
) -> None:
    await session.execute(
        delete(LorebookLink).where(
            LorebookLink.character_id == character.id,
            LorebookLink.lorebook_id == lorebook_id,
        )
    )
    remaining = select(LorebookLink.lorebook_id).where(
        LorebookLink.character_id == character.id
    )
    character.has_lore_linked = (
        await session.execute(remaining.limit(1))
    ).first() is not None


async def record_download(session: AsyncSession, project_id: int) -> None:
    """Count a download in the project's total and in today's stats."""
    await session.execute(
        update(Project)
        .where(Project.id == project_id)
        .values(n_downloads=Project.n_downloads + 1)
    )
    today = datetime.now(UTC).date()
    stmt = insert(ProjectDailyStats).values(
        project_id=project_id, day=today, downloads=1
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["project_id", "day"],
            set_={"downloads": ProjectDailyStats.downloads + 1},
        )
    )
