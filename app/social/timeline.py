"""The timeline: new and updated public projects of followed users and tags.

Each followed creator's projects are read through the index on
(creator_id, last_activity_at, id), at most one page deep per creator, and
merged with the projects whose `tag_keys` overlap the followed tags (by the GIN
index for rare tags, by walking the activity index for common ones); the cost
follows the page size and the number of follows, not the size of the catalogue.
A total (`count=true`) does read every matching row.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    func,
    or_,
    select,
    true,
    tuple_,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import UnaryExpression

from app.kit.cursor import decode_cursor, encode_cursor
from app.models import (
    Project,
    TagBlock,
    TagFollow,
    User,
    UserBlock,
    UserFollow,
)
from app.social.errors import InvalidCursor


@dataclass(frozen=True)
class Keyset:
    """Where a page ended: the last project's activity time and id."""

    at: datetime
    id: int

    def encode(self) -> str:
        return encode_cursor([self.at.isoformat(), self.id])

    @classmethod
    def decode(cls, cursor: str) -> "Keyset":
        try:
            at, project_id = decode_cursor(cursor)
            keyset = cls(datetime.fromisoformat(at), int(project_id))
        except (ValueError, TypeError):
            raise InvalidCursor from None
        if keyset.at.tzinfo is None:
            raise InvalidCursor
        return keyset


@dataclass(frozen=True)
class TimelineQuery:
    page: int
    first: int
    ascending: bool
    nsfw: bool
    nsfl: bool
    min_ai_rating: float
    after: Keyset | None
    with_count: bool


@dataclass(frozen=True)
class Circle:
    """What the caller follows and blocks, read once per page so that the
    planner sees the values (a tag's frequency decides the best plan)."""

    followed_creators: list[int]
    followed_tags: list[str]
    blocked_users: list[int]
    blocked_tags: list[str]


@dataclass
class TimelinePage:
    ids: list[int]
    count: int
    next: Keyset | None


async def timeline(
    session: AsyncSession, caller: User, query: TimelineQuery
) -> TimelinePage:
    """A page of the caller's timeline, newest activity first (or oldest with
    `ascending`), continuing after `query.after` when given."""
    offset = 0 if query.after else (query.page - 1) * query.first
    circle = await _circle(session, caller)
    rows = await _page_ids(session, caller, circle, query, offset)

    page = rows[: query.first]
    count = len(page)
    if query.with_count:
        count = await _count(session, caller, circle, query)
    last = Keyset(page[-1].at, page[-1].id) if len(rows) > query.first else None
    return TimelinePage([row.id for row in page], count, last)


async def _circle(session: AsyncSession, caller: User) -> Circle:
    def every(column: QueryableAttribute[Any], *where: ColumnElement[bool]) -> Any:
        return func.array(select(column).where(*where).scalar_subquery())

    stmt = select(
        every(UserFollow.followed_id, UserFollow.follower_id == caller.id),
        every(TagFollow.tag, TagFollow.user_id == caller.id),
        every(UserBlock.blocked_user_id, UserBlock.user_id == caller.id),
        every(TagBlock.tag, TagBlock.user_id == caller.id),
    )
    return Circle(*(list(values) for values in (await session.execute(stmt)).one()))


def _filters(
    caller: User, circle: Circle, query: TimelineQuery
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        Project.visibility == "public",
        Project.creator_id != caller.id,
    ]
    if circle.blocked_users:
        where.append(Project.creator_id.not_in(circle.blocked_users))
    if circle.blocked_tags:
        where.append(~Project.tag_keys.overlap(circle.blocked_tags))
    if not query.nsfw:
        where.append(Project.nsfw.is_(False))
    if not query.nsfl:
        where.append(Project.nsfl.is_(False))
    if query.min_ai_rating > 0:
        where.append(Project.n_ratings > 0)
        where.append(Project.rating_sum >= query.min_ai_rating * Project.n_ratings)
    return where


def _after(query: TimelineQuery) -> list[ColumnElement[bool]]:
    if query.after is None:
        return []
    position = tuple_(Project.last_activity_at, Project.id)
    mark = tuple_(query.after.at, query.after.id)
    return [position > mark] if query.ascending else [position < mark]


def _order(
    query: TimelineQuery,
) -> tuple[UnaryExpression[datetime], UnaryExpression[int]]:
    if query.ascending:
        return (Project.last_activity_at.asc(), Project.id.asc())
    return (Project.last_activity_at.desc(), Project.id.desc())


def _followed_creators(caller: User) -> Select[int]:
    return select(UserFollow.followed_id).where(UserFollow.follower_id == caller.id)


async def _page_ids(
    session: AsyncSession,
    caller: User,
    circle: Circle,
    query: TimelineQuery,
    offset: int,
) -> list[Row[int, datetime]]:
    where = [*_filters(caller, circle, query), *_after(query)]
    depth = offset + query.first + 1
    followed = _followed_creators(caller).subquery()
    per_creator = (
        select(Project.id, Project.last_activity_at)
        .where(Project.creator_id == followed.c.followed_id, *where)
        .order_by(*_order(query))
        .limit(depth)
        .lateral()
    )
    branches = [
        select(per_creator.c.id, per_creator.c.last_activity_at).select_from(
            followed.join(per_creator, true())
        )
    ]
    if circle.followed_tags:
        branches.append(
            select(Project.id, Project.last_activity_at)
            .where(Project.tag_keys.overlap(circle.followed_tags), *where)
            .order_by(*_order(query))
            .limit(depth)
        )
    merged = union(*branches).subquery()
    at, project_id = merged.c.last_activity_at, merged.c.id
    order = (
        (at.asc(), project_id.asc())
        if query.ascending
        else (at.desc(), project_id.desc())
    )
    stmt = (
        select(project_id.label("id"), at.label("at"))
        .order_by(*order)
        .offset(offset)
        .limit(query.first + 1)
    )
    return list((await session.execute(stmt)).all())


async def _count(
    session: AsyncSession, caller: User, circle: Circle, query: TimelineQuery
) -> int:
    # One scan with OR (a bitmap OR of the creator and tag indexes) counts each
    # project once, without the sort a UNION needs to drop duplicates.
    followed: ColumnElement[bool] = Project.creator_id.in_(circle.followed_creators)
    if circle.followed_tags:
        followed = or_(followed, Project.tag_keys.overlap(circle.followed_tags))
    stmt = (
        select(func.count())
        .select_from(Project)
        .where(followed, *_filters(caller, circle, query))
    )
    return (await session.execute(stmt)).scalar_one()
