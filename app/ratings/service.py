"""Ratings of projects: one per user and project, counted on the project.

`projects.n_ratings` and `projects.rating_sum` change in the same transaction as
the ratings, by SQL increments, so that concurrent raters never lose a count.
"""

from dataclasses import dataclass

import structlog
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import BadRequest, Forbidden
from app.models import Project, Rating, User

log = structlog.get_logger(__name__)


class OwnProjectRating(Forbidden):
    # 403 rather than 400: the same request from anyone else succeeds, so the
    # refusal is about who asks, not about what is asked.
    def __init__(self) -> None:
        super().__init__("You cannot rate your own project.")


class RatingsDisabled(BadRequest):
    def __init__(self) -> None:
        super().__init__("Ratings are disabled for this project.")


@dataclass
class RatingPage:
    ratings: list[tuple[Rating, str]]
    """Each rating with its author's username, newest first."""
    count: int
    average: float


async def rate(
    session: AsyncSession,
    project: Project,
    user: User,
    rating: int,
    comment: str | None,
) -> None:
    """Make or update the user's rating; a None comment keeps the previous one."""
    if project.creator_id == user.id:
        raise OwnProjectRating
    if project.ratings_disabled:
        raise RatingsDisabled

    if await _insert(session, project.id, user.id, rating, comment or ""):
        await _shift_counters(session, project.id, count=1, total=rating)
        log.info("ratings.created", project_id=project.id, rating=rating)
        return
    previous = await _update(session, project.id, user.id, rating, comment)
    await _shift_counters(session, project.id, count=0, total=rating - previous)
    log.info("ratings.updated", project_id=project.id, rating=rating)


async def _insert(
    session: AsyncSession, project_id: int, user_id: int, rating: int, comment: str
) -> bool:
    # clock_timestamp(): the moment of the call, not the start of the
    # transaction, so that the order of ratings is the order they were made.
    now = func.clock_timestamp()
    stmt = (
        insert(Rating)
        .values(
            project_id=project_id,
            user_id=user_id,
            rating=rating,
            comment=comment,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
        .returning(Rating.project_id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def _update(
    session: AsyncSession,
    project_id: int,
    user_id: int,
    rating: int,
    comment: str | None,
) -> int:
    """Replace an existing rating; returns the rating it replaced."""
    where = (Rating.project_id == project_id, Rating.user_id == user_id)
    # The lock makes the read of the old value and the write one step, so that
    # two concurrent updates by one user shift the sum by the right amounts.
    previous = (
        await session.execute(select(Rating.rating).where(*where).with_for_update())
    ).scalar_one()
    values: dict[str, object] = {"rating": rating, "updated_at": func.clock_timestamp()}
    if comment is not None:
        values["comment"] = comment
    await session.execute(update(Rating).where(*where).values(values))
    return previous


async def _shift_counters(
    session: AsyncSession, project_id: int, *, count: int, total: int
) -> None:
    await session.execute(
        update(Project)
        .where(Project.id == project_id)
        .values(
            n_ratings=Project.n_ratings + count,
            rating_sum=Project.rating_sum + total,
        )
    )


async def list_ratings(
    session: AsyncSession, project: Project, *, page: int, limit: int
) -> RatingPage:
    """A page of the project's ratings, with the count and mean of all of them."""
    stmt = (
        select(Rating, User.username)
        .join(User, User.id == Rating.user_id)
        .where(Rating.project_id == project.id)
        .order_by(Rating.created_at.desc(), Rating.user_id.desc())
        .offset((page - 1) * limit)
        .limit(limit)
    )
    ratings = [(rating, name) for rating, name in await session.execute(stmt)]
    # From the rows rather than the counters, so that the figures always
    # agree with the list beside them.
    summary = select(func.count(), func.avg(Rating.rating)).where(
        Rating.project_id == project.id
    )
    count, average = (await session.execute(summary)).one()
    return RatingPage(ratings, count, round(float(average or 0), 2))


async def set_ratings_enabled(
    session: AsyncSession, project: Project, enabled: bool
) -> None:
    """Open or close a project to new ratings; existing ratings are kept."""
    project.ratings_disabled = not enabled
    log.info("ratings.toggled", project_id=project.id, enabled=enabled)


async def withdraw_user_ratings(session: AsyncSession, user_id: int) -> None:
    """Delete a user's ratings and take them out of the projects' counters.

    For account deletion: the foreign-key cascade removes the rows but cannot
    lower the counters of the projects they were counted on.
    """
    await session.execute(
        update(Project)
        .where(Project.id == Rating.project_id, Rating.user_id == user_id)
        .values(
            n_ratings=Project.n_ratings - 1,
            rating_sum=Project.rating_sum - Rating.rating,
        )
    )
    await session.execute(delete(Rating).where(Rating.user_id == user_id))
