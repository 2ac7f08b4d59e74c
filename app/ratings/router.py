from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.dependencies import CurrentUser, OptionalUser
from app.db import SessionDep
from app.kit.schemas import DbId, Success, success
from app.projects.access import get_owned, get_readable
from app.ratings import service
from app.ratings.schemas import RatingCreate, RatingList, RatingRead

router = APIRouter()

# Bounded so that the offset, page times limit, stays a bigint.
PageParam = Annotated[int, Query(ge=1, le=1_000_000)]
LimitParam = Annotated[int, Query(ge=1, le=200)]


@router.post("/api/project/{project_id}/rate", tags=["Projects"])
async def rate_project(
    project_id: DbId, body: RatingCreate, session: SessionDep, user: CurrentUser
) -> Success:
    """Make or update a rating for this project."""
    project = await get_readable(session, project_id, user)

    await service.rate(session, project, user, body.rating, body.comment)
    return success()


@router.get("/api/project/{project_id}/ratings", tags=["Read-Only"])
async def list_ratings(
    project_id: DbId,
    session: SessionDep,
    user: OptionalUser,
    page: PageParam = 1,
    limit: LimitParam = 50,
) -> RatingList:
    """Get the ratings for this project."""
    project = await get_readable(session, project_id, user)

    found = await service.list_ratings(session, project, page=page, limit=limit)
    return RatingList(
        ratings=[
            RatingRead(
                user_id=rating.user_id,
                username=username,
                rating=rating.rating,
                comment=rating.comment,
                created_at=rating.created_at,
                updated_at=rating.updated_at,
            )
            for rating, username in found.ratings
        ],
        average=found.average,
        count=found.count,
    )


@router.post("/api/project/{project_id}/ratings/disable", tags=["Projects"])
async def disable_ratings(
    project_id: DbId, session: SessionDep, user: CurrentUser
) -> Success:
    """Disable ratings for this project."""
    project = await get_owned(session, project_id, user)

    await service.set_ratings_enabled(session, project, enabled=False)
    return success()


@router.post("/api/project/{project_id}/ratings/enable", tags=["Projects"])
async def enable_ratings(
    project_id: DbId, session: SessionDep, user: CurrentUser
) -> Success:
    """Enable ratings for this project."""
    project = await get_owned(session, project_id, user)

    await service.set_ratings_enabled(session, project, enabled=True)
    return success()
