"""Project nodes: the shape clients read for a project, built in batches."""

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer
from sqlalchemy.orm.interfaces import ORMOption

from app.cards import lorebook_to_character_book, to_hosted_definition
from app.kit.urls import media_url
from app.models import LorebookLink, Project, User
from app.projects.access import CHARACTERS, LOREBOOKS, can_read
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


async def build_nodes(
    session: AsyncSession,
    projects: Sequence[Project],
    *,
    caller: User | None,
    base_url: str,
    full: bool = False,
) -> list[ProjectNode]:
    """Nodes for projects the caller may see, with three queries whatever
    their number."""
    ids = [p.id for p in projects]
    creators = await _creator_names(session, {p.creator_id for p in projects})
    tag_names = await tags.names_by_project(session, ids)
    linked = await _linked_lorebooks(session, ids, caller)
    return [
        _node(
            project,
            creators[project.creator_id],
            tag_names.get(project.id, []),
            linked.get(project.id, []),
            base_url,
            full,
        )
        for project in projects
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


async def _creator_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {row[0]: row[1] for row in rows}


async def _linked_lorebooks(
    session: AsyncSession, ids: list[int], caller: User | None
) -> dict[int, list[int]]:
    if not ids:
        return {}
    stmt = (
        select(LorebookLink.character_id, Project)
        .join(Project, Project.id == LorebookLink.lorebook_id)
        .where(LorebookLink.character_id.in_(ids))
        .order_by(LorebookLink.character_id, Project.id)
    )
    found: dict[int, list[int]] = defaultdict(list)
    for character_id, lorebook in await session.execute(stmt):
        if can_read(lorebook, caller):
            found[character_id].append(lorebook.id)
    return found


def _node(
    project: Project,
    creator: str,
    tag_names: list[str],
    lorebooks: list[int],
    base_url: str,
    full: bool,
) -> ProjectNode:
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
        topics=tags.topics(project, tag_names),
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
