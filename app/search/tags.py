"""Listing tags with their counts of public projects."""

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Tag, TagCount, TagFollow
from app.search.schemas import TagsQuery


@dataclass(frozen=True)
class TagCountRow:
    id: int
    name: str
    count: int
    followers: int
    nsfw_share: float
    nsfl_share: float


def _counts(query: TagsQuery) -> Select[int, int, int, int]:
    total = func.sum(TagCount.n_projects)
    nsfw = func.sum(TagCount.n_projects).filter(TagCount.nsfw.is_(True))
    nsfl = func.sum(TagCount.n_projects).filter(TagCount.nsfl.is_(True))
    stmt = select(TagCount.tag_id, total.label("n"), nsfw, nsfl)
    stmt = stmt.group_by(TagCount.tag_id)
    if query.namespace != "*":
        stmt = stmt.where(TagCount.kind == query.namespace)
    if not query.nsfw:
        stmt = stmt.where(TagCount.nsfw.is_(False))
    if not query.nsfl:
        stmt = stmt.where(TagCount.nsfl.is_(False))
    return stmt


async def list_tags(
    session: AsyncSession, query: TagsQuery
) -> tuple[list[TagCountRow], int]:
    counts = _counts(query).subquery()
    stmt = select(Tag.id, Tag.name, Tag.key, counts.c.n, counts.c[2], counts.c[3]).join(
        counts, counts.c.tag_id == Tag.id
    )
    if query.search.strip():
        prefix = query.search.strip().lower().replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Tag.key.like(f"{prefix}%"))
    key = counts.c.n if query.order_by == "count" else Tag.key
    direction = (key.asc(), Tag.id.asc()) if query.asc else (key.desc(), Tag.id.desc())
    # The total rides along as a window: the counts are summed once, not twice.
    paged = (
        stmt.add_columns(func.count().over().label("total"))
        .order_by(*direction)
        .offset((query.page - 1) * query.first)
        .limit(query.first)
    )
    found = [tuple(row) for row in await session.execute(paged)]
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
            nsfw_share=int(nsfw or 0) / int(n),
            nsfl_share=int(nsfl or 0) / int(n),
        )
        for tag_id, name, key, n, nsfw, nsfl, _ in found
    ], int(total or 0)


async def _followers(session: AsyncSession, keys: list[str]) -> dict[str, int]:
    if not keys:
        return {}
    stmt = (
        select(TagFollow.tag, func.count())
        .where(TagFollow.tag.in_(keys))
        .group_by(TagFollow.tag)
    )
    return {row[0]: int(row[1]) for row in await session.execute(stmt)}
