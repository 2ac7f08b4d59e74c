from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.dependencies import CurrentUser
from app.db import SessionDep
from app.errors import BadRequest
from app.kit.schemas import DbId, Success, success
from app.models import Project
from app.projects.access import get_owned
from app.tags import service
from app.tags.names import normalize_tag

router = APIRouter(tags=["Unstable"])


class TooManyTags(BadRequest):
    def __init__(self) -> None:
        super().__init__(
            f"A project has at most {service.MAX_TAGS_PER_PROJECT} tags; "
            "remove one before adding another."
        )


async def _check_room_for(session: AsyncSession, project: Project, key: str) -> None:
    # TODO: move this limit into tags.service.add_tags; that module belongs to
    # the projects work in progress, and creation should enforce it too.
    if key in service.FLAG_TAGS:
        return
    names = (await service.names_by_project(session, [project.id])).get(project.id)
    keys = {normalize_tag(name) for name in names or []}
    if key not in keys and len(keys) >= service.MAX_TAGS_PER_PROJECT:
        raise TooManyTags


@router.post("/api/tags/{project_id}/{tagname}")
async def add_tag(
    project_id: DbId, tagname: str, session: SessionDep, user: CurrentUser
) -> Success:
    """Add a tag to this entity."""
    project = await get_owned(session, project_id, user)
    key = normalize_tag(tagname)

    await _check_room_for(session, project, key)
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
