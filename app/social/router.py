from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from app.auth.dependencies import CurrentUser, OptionalUser
from app.db import SessionDep
from app.kit.schemas import Success, success
from app.kit.urls import base_url
from app.models import CreatorStats, User
from app.projects.nodes import build_nodes, load_nodes
from app.social import leaderboard, service, timeline
from app.social.schemas import (
    FollowersPage,
    FollowsPage,
    Leader,
    LeaderResults,
    LeaderSortEnum,
    ProfileProjects,
    TimelinePage,
    UserNode,
    UserProfile,
)

router = APIRouter()

NameParam = Annotated[str, Path(max_length=200)]
# Bounded so that the offset, page times first, stays a bigint.
PageParam = Annotated[int, Query(ge=1, le=1_000_000)]
FirstParam = Annotated[int, Query(ge=1, le=500)]


def avatar_url(user: User, base: str) -> str | None:
    return f"{base}/media/{user.avatar_path}" if user.avatar_path else None


def _user_nodes(found: service.FollowPage, base: str) -> list[UserNode]:
    return [
        UserNode(
            id=user.id,
            username=user.username,
            user_name=user.username,
            name=user.name,
            avatar_url=avatar_url(user, base),
            bio=user.bio,
            followed_at=followed_at,
        )
        for user, followed_at in found.users
    ]


@router.get("/api/users/{username}", tags=["Read-Only"])
async def get_user(
    username: NameParam,
    request: Request,
    session: SessionDep,
    caller: OptionalUser,
    nsfw: bool = True,
    nsfl: bool = True,
    exclude_mine: bool = False,
    include_projects: bool = True,
    page: PageParam = 1,
    first: FirstParam = 100,
) -> UserProfile:
    """Get the profile for this user."""
    query = service.ProjectQuery(nsfw, nsfl, exclude_mine, page, first)
    profile = await service.get_profile(
        session, username, caller, query if include_projects else None
    )

    base = base_url(request)
    projects = None
    if profile.projects is not None:
        nodes = await build_nodes(
            session, profile.projects, caller=caller, base_url=base
        )
        projects = ProfileProjects(nodes=nodes, count=profile.n_projects, page=page)
    user = profile.user
    return UserProfile(
        id=user.id,
        username=user.username,
        user_name=user.username,
        name=user.name,
        avatar_url=avatar_url(user, base),
        bio=user.bio,
        created_at=user.created_at,
        n_followers=profile.n_followers,
        n_following=profile.n_following,
        follower_count=profile.n_followers,
        following_count=profile.n_following,
        is_followed=profile.is_followed,
        projects=projects,
    )


@router.post("/api/follow/{username}", tags=["User Account"])
async def follow_user(
    username: NameParam, session: SessionDep, user: CurrentUser
) -> Success:
    """Follow a username."""
    await service.follow_user(session, user, username)
    return success()


@router.delete("/api/follow/{username}", tags=["User Account"])
async def unfollow_user(
    username: NameParam, session: SessionDep, user: CurrentUser
) -> Success:
    """Unfollow a username."""
    await service.unfollow_user(session, user, username)
    return success()


@router.post("/follow/tag/{tagname}", tags=["User Account"])
async def follow_tag(
    tagname: NameParam, session: SessionDep, user: CurrentUser
) -> Success:
    """Follow a tag."""
    await service.follow_tag(session, user, tagname)
    return success()


@router.delete("/follow/tag/{tagname}", tags=["User Account"])
async def unfollow_tag(
    tagname: NameParam, session: SessionDep, user: CurrentUser
) -> Success:
    """Unfollow a tag."""
    await service.unfollow_tag(session, user, tagname)
    return success()


# Compat: clients call both methods; POST reads no body.
@router.get("/api/follows/{username}", tags=["Read-Only"])
@router.post("/api/follows/{username}", tags=["Read-Only"])
async def list_follows(
    username: NameParam,
    request: Request,
    session: SessionDep,
    page: PageParam = 1,
    count: bool = True,
    asc: bool = False,
    first: FirstParam = 50,
) -> FollowsPage:
    """Get who a given username follows."""
    found = await service.list_follows(
        session, username, followers=False, ascending=asc, page=page, first=first,
        with_count=count,
    )  # fmt: skip

    nodes = _user_nodes(found, base_url(request))
    return FollowsPage(
        follows=nodes, nodes=nodes, total=found.count, count=found.count, page=page
    )


@router.get("/api/followers/{username}", tags=["Read-Only"])
async def list_followers(
    username: NameParam,
    request: Request,
    session: SessionDep,
    page: PageParam = 1,
    count: bool = True,
    asc: bool = False,
    first: FirstParam = 50,
) -> FollowersPage:
    """Get who follows a given username."""
    found = await service.list_follows(
        session, username, followers=True, ascending=asc, page=page, first=first,
        with_count=count,
    )  # fmt: skip

    nodes = _user_nodes(found, base_url(request))
    return FollowersPage(
        followers=nodes, nodes=nodes, total=found.count, count=found.count, page=page
    )


@router.get("/api/timeline/v1", tags=["Read-Only"])
async def get_timeline(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    count: bool = True,
    asc: bool = False,
    min_ai_rating: Annotated[float, Query(ge=0, le=5)] = 0,
    nsfw: bool = True,
    nsfl: bool = True,
    first: Annotated[int, Query(ge=1, le=100)] = 40,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> TimelinePage:
    """Get recent updates from people you follow."""
    query = timeline.TimelineQuery(
        page=page, first=first, ascending=asc, nsfw=nsfw, nsfl=nsfl,
        min_ai_rating=min_ai_rating, with_count=count,
        after=timeline.Keyset.decode(cursor) if cursor else None,
    )  # fmt: skip
    found = await timeline.timeline(session, user, query)

    nodes = await load_nodes(
        session, found.ids, caller=user, base_url=base_url(request)
    )
    return TimelinePage(
        items=nodes,
        nodes=nodes,
        total=found.count,
        count=found.count,
        page=page,
        cursor=found.next.encode() if found.next else None,
    )


@router.get("/api/leaderboard/v1", tags=["Read-Only"])
async def get_leaderboard(
    request: Request,
    session: SessionDep,
    order_by: LeaderSortEnum = LeaderSortEnum.avg_msgs_chat,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    first: Annotated[int, Query(ge=1, le=200)] = 50,
) -> LeaderResults:
    """Get the user leaderboard."""
    found = await leaderboard.leaders(session, order_by, page=page, first=first)

    base = base_url(request)
    first_rank = (page - 1) * first + 1
    return LeaderResults(
        leaders=[
            _leader(rank, stats, user, base)
            for rank, (stats, user) in enumerate(found.leaders, start=first_rank)
        ],
        order_by=order_by,
        page=page,
        refreshed_at=found.refreshed_at,
    )


def _leader(rank: int, stats: CreatorStats, user: User, base: str) -> Leader:
    return Leader(
        rank=rank,
        id=user.id,
        username=user.username,
        user_name=user.username,
        name=user.name,
        avatar_url=avatar_url(user, base),
        n_projects=stats.n_projects,
        n_downloads=stats.n_downloads,
        n_favorites=stats.n_favorites,
        n_followers=stats.n_followers,
        n_chats=stats.n_chats,
        n_messages=stats.n_messages,
        n_ratings=stats.n_ratings,
        avg_msgs_chat=_rounded(stats.avg_msgs_chat),
        avg_rating=_rounded(stats.avg_rating),
    )


def _rounded(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None
