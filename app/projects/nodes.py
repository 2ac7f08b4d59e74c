"""Project nodes: the shape clients read for a project, built in batches."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, defer
from sqlalchemy.orm.interfaces import ORMOption

from app.cards import lorebook_to_character_book, to_hosted_definition
from app.kit.urls import media_url
from app.models import LorebookLink, Project, ProjectTag, Tag, User
from app.projects.access import CHARACTERS, LOREBOOKS, readable
from app.projects.definitions import load_character, load_lorebook
from app.projects.schemas import Label, ProjectNode
from app.tags import service as tags


def node_only() -> list[ORMOption]:
    """Loader options for rows that only become (non-full) nodes: the definition
    and the text vectors stay in the database, instead of a JSON card being
    decoded per row for nothing."""
    heavy = (
        Project.definition,
        Project.definition_tsv,
        Project.search_vector,
        Project.rank_vector,
    )
    return [defer(column, raiseload=True) for column in heavy]


class Placed(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def slug(self) -> str: ...


def full_path(project: Placed, creator: str) -> str:
    if project.kind == LOREBOOKS:
        return f"lorebooks/{creator}/{project.slug}"
    return f"{creator}/{project.slug}"


def card_path(project: Project, creator: str) -> str:
    """The API path of a character's card PNG (what `max_res_url` points at)."""
    return f"/api/characters/{creator}/{project.slug}/card.png"


@dataclass(frozen=True)
class _Extras:
    creator: str
    tag_names: list[str]
    lorebooks: list[int]


# Built once: an alias made per request costs more than the query it serves.
_CREATOR = select(User.username).where(User.id == Project.creator_id).scalar_subquery()
_TAG_NAMES = (
    select(func.array_agg(aggregate_order_by(Tag.name, Tag.key)))
    .join(ProjectTag, ProjectTag.tag_id == Tag.id)
    .where(ProjectTag.project_id == Project.id)
    .scalar_subquery()
)
_BOOK = aliased(Project, name="book")


def _extra_columns(caller: User | None) -> tuple[Any, Any, Any]:
    """A project's creator name, tag names and the linked lorebooks the caller
    may read, as correlated subqueries: one round trip for any batch."""
    linked = (
        select(func.array_agg(aggregate_order_by(_BOOK.id, _BOOK.id)))
        .join(LorebookLink, LorebookLink.lorebook_id == _BOOK.id)
        .where(LorebookLink.character_id == Project.id, readable(_BOOK, caller))
        .scalar_subquery()
    )
    return _CREATOR, _TAG_NAMES, linked


def _extras(row: Any) -> _Extras:
    creator, tag_names, linked = row[-3:]
    return _Extras(creator, tag_names or [], linked or [])


async def build_nodes(
    session: AsyncSession,
    projects: Sequence[Project],
    *,
    caller: User | None,
    base_url: str,
    full: bool = False,
) -> list[ProjectNode]:
    """Nodes for projects the caller may see, with one query whatever their
    number."""
    if not projects:
        return []
    stmt = select(Project.id, *_extra_columns(caller)).where(
        Project.id.in_([p.id for p in projects])
    )
    extras = {row[0]: _extras(row) for row in await session.execute(stmt)}
    return [_node(p, extras[p.id], base_url, full) for p in projects]


async def load_nodes(
    session: AsyncSession, ids: Sequence[int], *, caller: User | None, base_url: str
) -> list[ProjectNode]:
    """(Non-full) nodes of the projects with these ids, in their order, read
    with their creators, tags and lorebooks in one query."""
    if not ids:
        return []
    stmt = (
        select(Project, *_extra_columns(caller))
        .where(Project.id.in_(ids))
        .options(*node_only())
    )
    found = {row[0].id: row for row in await session.execute(stmt)}
    return [
        _node(found[i][0], _extras(found[i]), base_url, False)
        for i in ids
        if i in found
    ]


async def build_node(
    session: AsyncSession,
    project: Project,
    *,
    caller: User | None,
    base_url: str,
    full: bool = False,
) -> ProjectNode:
    nodes = await build_nodes(
        session, [project], caller=caller, base_url=base_url, full=full
    )
    return nodes[0]


def _node(project: Project, extras: _Extras, base_url: str, full: bool) -> ProjectNode:
    creator, lorebooks = extras.creator, extras.lorebooks
    rating = project.rating_sum / project.n_ratings if project.n_ratings else 0.0
    avatar_url = media_url(base_url, project.avatar_key)
    max_res_url = (
        f"{base_url}{card_path(project, creator)}"
        if project.kind == CHARACTERS
        else avatar_url
    )
    return ProjectNode(
        id=project.id,
        uuid=str(project.uuid),
        name=project.name,
        slug=project.slug,
        fullPath=full_path(project, creator),
        projectSpace=project.kind,
        creatorId=project.creator_id,
        creator=creator,
        description=project.description,
        tagline=project.tagline,
        topics=tags.topics(project, extras.tag_names),
        starCount=project.n_downloads,
        n_downloads=project.n_downloads,
        n_favorites=project.n_favorites,
        nFavorites=project.n_favorites,
        forksCount=project.n_forks,
        rating=round(rating, 2),
        ratingCount=project.n_ratings,
        nTokens=project.n_tokens,
        n_tokens=project.n_tokens,
        nChats=project.n_chats,
        nMessages=project.n_messages,
        createdAt=project.created_at,
        lastActivityAt=project.last_activity_at,
        updatedAt=project.updated_at,
        hasGallery=project.has_gallery,
        nsfw_image=project.nsfw,
        nsfw=project.nsfw,
        nsfl=project.nsfl,
        is_public=project.visibility == "public",
        is_unlisted=project.visibility == "unlisted",
        visibility=project.visibility,
        verified=project.verified,
        recommended=project.recommended,
        ratings_disabled=project.ratings_disabled,
        has_lore=project.has_lore_embedded or bool(lorebooks),
        related_lorebooks=lorebooks,
        forked_from=project.forked_from_id,
        avatar_url=avatar_url,
        max_res_url=max_res_url,
        version=project.version_sha,
        definition=hosted_definition(project) if full else None,
        labels=[
            Label(
                title="TOKEN_COUNTS",
                description=json.dumps({"total": project.n_tokens}),
            )
        ],
    )


def hosted_definition(project: Project) -> dict[str, Any]:
    """The definition under the hosted service's names (`?full=true`)."""
    if project.kind == CHARACTERS:
        return to_hosted_definition(load_character(project.definition), project.tagline)
    book = load_lorebook(project.definition)
    return {
        "name": project.name,
        "description": project.description,
        "tagline": project.tagline,
        "embedded_lorebook": lorebook_to_character_book(book),
    }
