"""SQL statements of follows and profiles."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.models import Project, TagFollow, User, UserFollow
from app.projects.nodes import node_only


async def add_follow(session: AsyncSession, follower_id: int, followed_id: int) -> None:
    stmt = insert(UserFollow).values(
        follower_id=follower_id,
        followed_id=followed_id,
        # The moment of the call, so that lists keep the order follows were made.
        created_at=func.clock_timestamp(),
    )
    await session.execute(stmt.on_conflict_do_nothing())


async def remove_follow(
    session: AsyncSession, follower_id: int, followed_id: int
) -> None:
    await session.execute(
        delete(UserFollow).where(
            UserFollow.follower_id == follower_id,
            UserFollow.followed_id == followed_id,
        )
    )


async def is_following(
    session: AsyncSession, follower_id: int, followed_id: int
) -> bool:
    stmt = select(UserFollow.follower_id).where(
        UserFollow.follower_id == follower_id, UserFollow.followed_id == followed_id
    )
    return (await session.execute(stmt)).first() is not None


async def count_follows(session: AsyncSession, user_id: int) -> tuple[int, int]:
    """How many follow the user, and how many the user follows."""
    followers = select(func.count()).where(UserFollow.followed_id == user_id)
    following = select(func.count()).where(UserFollow.follower_id == user_id)
    row = (
        await session.execute(
            select(followers.scalar_subquery(), following.scalar_subquery())
        )
    ).one()
    return row[0], row[1]


async def follow_page(
    session: AsyncSession,
    *,
    user_id: int,
    followers: bool,
    ascending: bool,
    offset: int,
    limit: int,
) -> list[tuple[User, datetime]]:
    """The users who follow `user_id` (followers) or whom it follows, with the
    moment of each follow."""
    mine, theirs = _sides(followers)
    order = UserFollow.created_at.asc() if ascending else UserFollow.created_at.desc()
    stmt = (
        select(User, UserFollow.created_at)
        .join(UserFollow, theirs == User.id)
        .where(mine == user_id)
        .order_by(order, User.id)
        .offset(offset)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in await session.execute(stmt)]


async def count_follow_page(
    session: AsyncSession, *, user_id: int, followers: bool
) -> int:
    mine, _ = _sides(followers)
    stmt = select(func.count()).select_from(UserFollow).where(mine == user_id)
    return (await session.execute(stmt)).scalar_one()


def _sides(
    followers: bool,
) -> tuple[InstrumentedAttribute[int], InstrumentedAttribute[int]]:
    if followers:
        return UserFollow.followed_id, UserFollow.follower_id
    return UserFollow.follower_id, UserFollow.followed_id


async def add_tag_follow(session: AsyncSession, user_id: int, tag: str) -> None:
    stmt = insert(TagFollow).values(user_id=user_id, tag=tag)
    await session.execute(stmt.on_conflict_do_nothing())


async def remove_tag_follow(session: AsyncSession, user_id: int, tag: str) -> None:
    await session.execute(
        delete(TagFollow).where(TagFollow.user_id == user_id, TagFollow.tag == tag)
    )


async def profile_projects(
    session: AsyncSession,
    where: Sequence[ColumnElement[bool]],
    *,
    offset: int,
    limit: int,
) -> tuple[list[Project], int]:
    """A page of projects, most recently active first, and their total."""
    stmt = (
        select(Project)
        .options(*node_only())
        .where(*where)
        .order_by(Project.last_activity_at.desc(), Project.id.desc())
        .offset(offset)
        .limit(limit)
    )
    projects = list((await session.execute(stmt)).scalars())
    total = select(func.count()).select_from(Project).where(*where)
    return projects, (await session.execute(total)).scalar_one()
