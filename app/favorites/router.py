from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.auth.dependencies import CurrentUser
from app.db import SessionDep
from app.favorites import service
from app.favorites.schemas import FavoriteList, FavoriteNode
from app.kit.schemas import DbId, Success, success
from app.kit.urls import base_url
from app.projects.access import get_readable
from app.projects.nodes import build_nodes

router = APIRouter(tags=["User Account"])

# Bounded so that the offset, page times first, stays a bigint.
PageParam = Annotated[int, Query(ge=1, le=1_000_000)]
FirstParam = Annotated[int, Query(ge=1, le=500)]


@router.post("/api/favorites/{project_id}")
async def add_favorite(
    project_id: DbId, session: SessionDep, user: CurrentUser
) -> Success:
    """Favorite this project; favoriting it again changes nothing."""
    project = await get_readable(session, project_id, user)

    await service.add_favorite(session, user, project)
    return success()


@router.delete("/api/favorites/{project_id}")
async def remove_favorite(
    project_id: DbId, session: SessionDep, user: CurrentUser
) -> Success:
    """Remove this project from your favorites, if it is among them."""
    await service.remove_favorite(session, user, project_id)
    return success()


@router.get("/api/favorites")
async def list_favorites(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    page: PageParam = 1,
    first: FirstParam = 40,
) -> FavoriteList:
    """List your favorite projects, newest favorite first."""
    found = await service.list_favorites(session, user, page=page, first=first)

    projects = [project for project, _ in found.favorites]
    nodes = await build_nodes(
        session, projects, caller=user, base_url=base_url(request)
    )
    return FavoriteList(
        nodes=[
            FavoriteNode(**node.model_dump(), favorited_at=favorited_at)
            for node, (_, favorited_at) in zip(nodes, found.favorites, strict=True)
        ],
        count=found.count,
        page=page,
    )
