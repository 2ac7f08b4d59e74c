from fastapi import APIRouter

from app.auth.dependencies import CurrentUser
from app.db import SessionDep
from app.kit.schemas import DbId, Success, success
from app.projects.access import get_owned
from app.tags import service

router = APIRouter(tags=["Unstable"])


@router.post("/api/tags/{project_id}/{tagname}")
async def add_tag(
    project_id: DbId, tagname: str, session: SessionDep, user: CurrentUser
) -> Success:
    """Add a tag to this entity."""
    project = await get_owned(session, project_id, user)
    await service.add_tags(session, project, [tagname])
    return success()


@router.delete("/api/tags/{project_id}/{tagname}")
async def delete_tag(
    project_id: DbId, tagname: str, session: SessionDep, user: CurrentUser
) -> Success:
    """Remove a tag from this entity."""
    project = await get_owned(session, project_id, user)

    # Removing a tag the project does not carry is a success: the end state
    # is what the caller asked for.
    await service.remove_tag(session, project, tagname)
    return success()
