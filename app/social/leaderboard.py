"""The creators' leaderboard, read from `creator_stats`.

`refresh_creator_stats` rebuilds that table from the catalogue in one
statement; a periodic job runs it (see `workers/social.py`), so that a read
sorts a few thousand creators by an index instead of aggregating every project.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import ColumnElement, Float, cast, delete, func, nulls_last, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import CreatorStats, Project, User, UserFollow
from app.social.schemas import LeaderSortEnum

log = structlog.get_logger(__name__)

_SUMMED = ("n_downloads", "n_favorites", "n_chats", "n_messages", "n_ratings")


@dataclass
class LeaderPage:
    leaders: list[tuple[CreatorStats, User]]
    refreshed_at: datetime | None


async def leaders(
    session: AsyncSession, order_by: LeaderSortEnum, *, page: int, first: int
) -> LeaderPage:
    """Creators by `order_by`, highest first; undefined averages come last."""
    column = getattr(CreatorStats, order_by.value)
    stmt = (
        select(CreatorStats, User)
        .join(User, User.id == CreatorStats.user_id)
        .order_by(nulls_last(column.desc()), CreatorStats.user_id)
        .offset((page - 1) * first)
        .limit(first)
    )
    rows = [(row[0], row[1]) for row in await session.execute(stmt)]
    refreshed = select(func.max(CreatorStats.refreshed_at))
    return LeaderPage(rows, (await session.execute(refreshed)).scalar_one())


def _ratio(
    numerator: ColumnElement[Any], denominator: ColumnElement[Any]
) -> ColumnElement[Any]:
    return cast(numerator, Float) / func.nullif(denominator, 0)


async def refresh_creator_stats(session: AsyncSession) -> int:
    """Recompute every creator's figures over public projects; returns the
    number of creators ranked."""
    projects = (
        select(
            Project.creator_id.label("user_id"),
            func.count().label("n_projects"),
            *(func.sum(getattr(Project, name)).label(name) for name in _SUMMED),
            func.sum(Project.rating_sum).label("rating_sum"),
        )
        .where(Project.visibility == "public")
        .group_by(Project.creator_id)
        .cte("p")
    )
    followers = (
        select(UserFollow.followed_id.label("user_id"), func.count().label("n"))
        .group_by(UserFollow.followed_id)
        .cte("f")
    )
    p, f = projects.c, followers.c
    source = select(
        func.coalesce(p.user_id, f.user_id),
        func.coalesce(p.n_projects, 0),
        *[func.coalesce(p[name], 0) for name in _SUMMED],
        func.coalesce(f.n, 0),
        _ratio(p.n_messages, p.n_chats),
        _ratio(p.rating_sum, p.n_ratings),
        func.clock_timestamp(),
    ).select_from(projects.join(followers, p.user_id == f.user_id, full=True))
    columns = [
        "user_id", "n_projects", *_SUMMED, "n_followers",
        "avg_msgs_chat", "avg_rating", "refreshed_at",
    ]  # fmt: skip
    stmt = insert(CreatorStats).from_select(columns, source)
    stmt = stmt.on_conflict_do_update(
        index_elements=[CreatorStats.user_id],
        set_={name: stmt.excluded[name] for name in columns[1:]},
    )
    # The wall clock rather than the transaction's: a refresh inside a longer
    # transaction still tells its rows from the previous refresh's.
    started = (await session.execute(select(func.clock_timestamp()))).scalar_one()
    result = await session.execute(stmt.returning(CreatorStats.user_id))
    ranked = len(result.all())
    # Rows this refresh did not touch are creators with nothing public left.
    await session.execute(
        delete(CreatorStats).where(CreatorStats.refreshed_at < started)
    )
    log.info("social.creator_stats_refreshed", creators=ranked)
    return ranked
