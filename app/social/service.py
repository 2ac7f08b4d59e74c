"""Profiles and follows: of users, and of tags for the timeline."""

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.service import get_user_by_name
from app.models import Project, User
from app.social import repository
from app.social.errors import CannotFollowSelf
from app.tags.names import normalize_tag

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ProjectQuery:
    """Which of a user's projects a profile lists."""

    nsfw: bool
    nsfl: bool
    exclude_mine: bool
    page: int
    first: int


@dataclass
class Profile:
    user: User
    n_followers: int
    n_following: int
    is_followed: bool
    projects: list[Project] | None
    n_projects: int


@dataclass
class FollowPage:
    users: list[tuple[User, datetime]]
    count: int


async def get_profile(
    session: AsyncSession,
    username: str,
    caller: User | None,
    query: ProjectQuery | None,
) -> Profile:
    """A user by name (any case; 404 when unknown), with follow counts and,
    when `query` is given, the page of their projects the caller may see."""
    user = await get_user_by_name(session, username)
    n_followers, n_following = await repository.count_follows(session, user.id)
    is_followed = caller is not None and await repository.is_following(
        session, caller.id, user.id
    )

    projects, n_projects = None, 0
    if query is not None:
        projects, n_projects = await repository.profile_projects(
            session,
            _visible(user, caller, query),
            offset=(query.page - 1) * query.first,
            limit=query.first,
        )
    return Profile(user, n_followers, n_following, is_followed, projects, n_projects)


def _visible(
    user: User, caller: User | None, query: ProjectQuery
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Project.creator_id == user.id]
    own = caller is not None and caller.id == user.id
    if not own or query.exclude_mine:
        # Unlisted projects are reachable by link only, never listed.
        where.append(Project.visibility == "public")
    if not query.nsfw:
        where.append(Project.nsfw.is_(False))
    if not query.nsfl:
        where.append(Project.nsfl.is_(False))
    return where


async def follow_user(session: AsyncSession, user: User, username: str) -> None:
    target = await get_user_by_name(session, username)
    if target.id == user.id:
        raise CannotFollowSelf
    await repository.add_follow(session, user.id, target.id)
    log.info("social.followed", followed_id=target.id)


async def unfollow_user(session: AsyncSession, user: User, username: str) -> None:
    target = await get_user_by_name(session, username)
    await repository.remove_follow(session, user.id, target.id)
    log.info("social.unfollowed", followed_id=target.id)


async def follow_tag(session: AsyncSession, user: User, tag: str) -> None:
    await repository.add_tag_follow(session, user.id, normalize_tag(tag))


async def unfollow_tag(session: AsyncSession, user: User, tag: str) -> None:
    await repository.remove_tag_follow(session, user.id, normalize_tag(tag))


async def list_follows(
    session: AsyncSession,
    username: str,
    *,
    followers: bool,
    ascending: bool,
    page: int,
    first: int,
    with_count: bool,
) -> FollowPage:
    """Whom a user follows, or (`followers`) who follows them, newest first."""
    user = await get_user_by_name(session, username)

    users = await repository.follow_page(
        session,
        user_id=user.id,
        followers=followers,
        ascending=ascending,
        offset=(page - 1) * first,
        limit=first,
    )
    if not with_count:
        return FollowPage(users, len(users))
    count = await repository.count_follow_page(
        session, user_id=user.id, followers=followers
    )
    return FollowPage(users, count)
