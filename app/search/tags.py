"""Listing tags with their counts of public projects."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Project, ProjectTag, Tag, TagCount, TagFollow
from app.search.schemas import TagsQuery


@dataclass(frozen=True)
class TagCountRow:
    id: int
    name: str
    count: int
    followers: int
    nsfw_share: float
    nsfl_share: float


async def list_tags(
    session: AsyncSession, query: TagsQuery
) -> tuple[list[TagCountRow], int]:
    counts = (
        TagCount.namespace == query.namespace,
        TagCount.with_nsfw.is_(query.nsfw),
        TagCount.with_nsfl.is_(query.nsfl),
    )
    stmt = (
        select(Tag.id, Tag.name, Tag.key)
        .add_columns(TagCount.n_projects, TagCount.n_nsfw, TagCount.n_nsfl)
        .join(TagCount, TagCount.tag_id == Tag.id)
        .where(*counts)
    )
    if query.search.strip():
        prefix = query.search.strip().lower().replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Tag.key.like(f"{prefix}%"))
    key = "n_projects" if query.order_by == "count" else "key"
    # The total rides along as a window: one scan of the listing index.
    paged = (
        stmt.add_columns(func.count().over().label("total"))
        .order_by(
            *_ordering(stmt.selected_columns[key], TagCount.tag_id.expression, query)
        )
        .offset((query.page - 1) * query.first)
        .limit(query.first)
        .subquery()
    )
    found = [
        tuple(row)[:-1]
        for row in await session.execute(
            select(paged, _still_public(paged.c.id)).order_by(
                *_ordering(paged.c[key], paged.c.id, query)
            )
        )
        if row[-1]
    ]
    if found:
        total = found[0][-1]
    elif query.page == 1:
        total = 0
    else:
        # A page past the end carries no window: count on its own.
        total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    followers = await _followers(session, [row[2] for row in found])
    return [
        TagCountRow(
            id=tag_id,
            name=name,
            count=int(n),
            followers=followers.get(key, 0),
            nsfw_share=nsfw / n,
            nsfl_share=nsfl / n,
        )
        for tag_id, name, key, n, nsfw, nsfl, _ in found
    ], int(total or 0)


def _still_public(tag_id: ColumnElement[int]) -> ColumnElement[bool]:
    """Whether a public project still carries the tag. The counts are a few
    minutes old; a tag whose last public project went private or away since
    is left out at once (its name may say what the private project is)."""
    return exists().where(
        ProjectTag.tag_id == tag_id,
        ProjectTag.project_id == Project.id,
        Project.visibility == "public",
    )


def _ordering(
    key: ColumnElement[Any], tie: ColumnElement[Any], query: TagsQuery
) -> list[ColumnElement[Any]]:
    return [c.asc() if query.asc else c.desc() for c in (key, tie)]


async def _followers(session: AsyncSession, keys: list[str]) -> dict[str, int]:
    if not keys:
        return {}
    stmt = (
        select(TagFollow.tag, func.count())
        .where(TagFollow.tag.in_(keys))
        .group_by(TagFollow.tag)
    )
    return {row[0]: int(row[1]) for row in await session.execute(stmt)}
