"""Favorites: a user's bookmarks of projects, counted on the project.

`projects.n_favorites` moves by SQL increments, and only when a row really
appeared or went, so that repeated or concurrent calls never skew it.
"""

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import Date, cast, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Favorite, Project, ProjectDailyStats, User
from app.projects.access import get_readable

log = structlog.get_logger(__name__)


@dataclass
class FavoritePage:
    favorites: list[tuple[Project, datetime]]
    """Each project with the moment it was favorited, newest first."""
    count: int


async def add_favorite(session: AsyncSession, user: User, project: Project) -> None:
    # clock_timestamp(): the moment of the call, not the start of the
    # transaction, so that the order of favorites is the order they were made.
    stmt = (
        insert(Favorite)
        .values(
            user_id=user.id, project_id=project.id, created_at=func.clock_timestamp()
        )
        .on_conflict_do_nothing()
        .returning(Favorite.project_id)
    )
    if (await session.execute(stmt)).scalar_one_or_none() is None:
        return

    await _shift_counter(session, project.id, 1)
    await _count_today(session, project.id)
    log.info("favorites.added", project_id=project.id)


async def remove_favorite(session: AsyncSession, user: User, project_id: int) -> None:
    """Remove the user's favorite, if any.

    A favorite the user holds goes even when its project has since turned
    private; otherwise the project must be one the user can see (404).
    """
    made_today = cast(Favorite.created_at, Date) == func.current_date()
    stmt = (
        delete(Favorite)
        .where(Favorite.user_id == user.id, Favorite.project_id == project_id)
        .returning(made_today)
    )
    removed = (await session.execute(stmt)).one_or_none()
    if removed is None:
        await get_readable(session, project_id, user)
        return

    await _shift_counter(session, project_id, -1)
    if removed[0]:
        # A favorite taken back on the day it was made leaves the trend figures
        # as they were, so that toggling cannot pump a project up the trends.
        await _uncount_today(session, project_id)
    log.info("favorites.removed", project_id=project_id)


async def _shift_counter(session: AsyncSession, project_id: int, by: int) -> None:
    await session.execute(
        update(Project)
        .where(Project.id == project_id)
        .values(n_favorites=Project.n_favorites + by)
    )


async def _count_today(session: AsyncSession, project_id: int) -> None:
    stmt = (
        insert(ProjectDailyStats)
        .values(project_id=project_id, day=func.current_date(), favorites=1)
        .on_conflict_do_update(
            index_elements=[ProjectDailyStats.project_id, ProjectDailyStats.day],
            set_={"favorites": ProjectDailyStats.favorites + 1},
        )
    )
    await session.execute(stmt)


async def _uncount_today(session: AsyncSession, project_id: int) -> None:
    await session.execute(
        update(ProjectDailyStats)
        .where(
            ProjectDailyStats.project_id == project_id,
            ProjectDailyStats.day == func.current_date(),
            ProjectDailyStats.favorites > 0,
        )
        .values(favorites=ProjectDailyStats.favorites - 1)
    )


async def list_favorites(
    session: AsyncSession, user: User, *, page: int, first: int
) -> FavoritePage:
    """The user's favorites they can still see, newest first, and their total."""
    visible = (
        Favorite.user_id == user.id,
        or_(Project.visibility != "private", Project.creator_id == user.id),
    )
    stmt = (
        select(Project, Favorite.created_at)
        .join(Favorite, Favorite.project_id == Project.id)
        .where(*visible)
        .order_by(Favorite.created_at.desc(), Favorite.project_id.desc())
        .offset((page - 1) * first)
        .limit(first)
    )
    favorites = [(project, at) for project, at in await session.execute(stmt)]
    total = (
        select(func.count())
        .select_from(Favorite)
        .join(Project, Project.id == Favorite.project_id)
        .where(*visible)
    )
    return FavoritePage(favorites, (await session.execute(total)).scalar_one())


async def withdraw_user_favorites(session: AsyncSession, user_id: int) -> None:
    """Delete a user's favorites and take them out of the projects' counters.

    For account deletion: the foreign-key cascade removes the rows but cannot
    lower the counters of the projects they were counted on.
    """
    await session.execute(
        update(Project)
        .where(Project.id == Favorite.project_id, Favorite.user_id == user_id)
        .values(n_favorites=Project.n_favorites - 1)
    )
    await session.execute(delete(Favorite).where(Favorite.user_id == user_id))
