from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from app.auth.dependencies import CurrentUser, OptionalUser
from app.cards.service import Download, ExportFormat, card_image, export
from app.db import SessionDep
from app.kit.schemas import DbId, Success, success
from app.kit.urls import base_url
from app.media.dependencies import StorageDep
from app.models import Project, User
from app.projects import bodies, editing, service
from app.projects.access import (
    CHARACTERS,
    LOREBOOKS,
    get_owned,
    get_readable,
    get_readable_by_path,
)
from app.projects.errors import NotProjectOwner, ProjectNotFound, WrongProjectKind
from app.projects.nodes import build_node, full_path
from app.projects.schemas import MetadataUpdate, NodeEnvelope

router = APIRouter()

NamePath = Annotated[str, Path(max_length=200)]


class CharacterBody(BaseModel):
    """A character in the card's field names or the hosted service's, with page
    fields (tagline, topics, nsfw, nsfl, visibility, avatar as a data URL)."""

    model_config = ConfigDict(extra="allow")

    name: str | None = None
    tagline: str | None = None
    topics: list[str] | str | None = None
    visibility: str | None = None
    nsfw: bool | None = None
    nsfl: bool | None = None
    avatar: str | None = None


class LorebookBody(CharacterBody):
    """A lorebook: name, description, `entries` in any lorebook format, and page
    fields."""

    description: str | None = None


def _created(project: Project, user: User) -> Success:
    return success(
        character_id=project.id,
        id=project.id,
        project_id=project.id,
        fullPath=full_path(project, user.username),
        projectSpace=project.kind,
    )


@router.post("/api/core/characters", tags=["Chat"])
async def create_character(
    body: CharacterBody, session: SessionDep, storage: StorageDep, user: CurrentUser
) -> Success:
    """Create char"""
    fields = body.model_dump(exclude_unset=True)
    project = await editing.create_character(session, storage, user, fields)
    return _created(project, user)


@router.put("/api/core/characters/{username}/{pathname}", tags=["Chat"])
async def update_character(
    username: NamePath,
    pathname: NamePath,
    body: CharacterBody,
    session: SessionDep,
    storage: StorageDep,
    user: CurrentUser,
) -> Success:
    """Update char"""
    project = await get_readable_by_path(session, username, pathname, user)
    if project.creator_id != user.id:
        raise NotProjectOwner
    fields = body.model_dump(exclude_unset=True)
    await editing.update_character(session, storage, project, fields)
    return success(id=project.id, version=project.version_sha)


@router.post("/api/core/lorebooks", tags=["Chat"])
async def create_lorebook(
    body: LorebookBody, session: SessionDep, storage: StorageDep, user: CurrentUser
) -> Success:
    """Create a lorebook."""
    fields = body.model_dump(exclude_unset=True)
    project = await editing.create_lorebook(session, storage, user, fields)
    return _created(project, user)


@router.put("/api/core/lorebooks/{project_id}", tags=["Chat"])
async def update_lorebook(
    project_id: Annotated[DbId, Path()],
    body: LorebookBody,
    session: SessionDep,
    storage: StorageDep,
    user: CurrentUser,
) -> Success:
    """Update a lorebook."""
    project = await get_owned(session, project_id, user)
    if project.kind != LOREBOOKS:
        raise WrongProjectKind(f"Project {project_id} is not a lorebook.")
    fields = body.model_dump(exclude_unset=True)
    await editing.update_lorebook(session, storage, project, fields)
    return success(id=project.id, version=project.version_sha)


@router.delete("/api/project/{project_id}", tags=["Projects"])
async def delete_project(
    project_id: Annotated[DbId, Path()],
    session: SessionDep,
    storage: StorageDep,
    user: CurrentUser,
) -> Success:
    """Delete a character or lorebook and its files."""
    project = await get_owned(session, project_id, user)
    await service.delete_project(session, storage, project)
    return success()


@router.put("/api/project/{project_id}/metadata", tags=["Projects"])
async def update_metadata(
    project_id: Annotated[DbId, Path()],
    body: MetadataUpdate,
    session: SessionDep,
    storage: StorageDep,
    user: CurrentUser,
) -> Success:
    """Update the metadata for this project."""
    project = await get_owned(session, project_id, user)
    fields: dict[str, Any] = body.model_dump(exclude_unset=True)
    if "description" in fields:
        project.description = fields.pop("description") or ""
    if "name" in fields and not (fields["name"] or "").strip():
        fields.pop("name")
    await editing.apply_changes(
        session, storage, project, bodies.meta_changes(fields) | _plain(fields)
    )
    return success()


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k == "name" and v}


@router.post(
    "/api/core/characters/link/{username}/{pathname}/lorebook/{project_id}",
    tags=["Chat"],
)
async def link_lorebook(
    username: NamePath,
    pathname: NamePath,
    project_id: Annotated[DbId, Path()],
    session: SessionDep,
    user: CurrentUser,
) -> Success:
    """Add a linked lorebook for a character."""
    character = await _own_character(session, username, pathname, user)
    lorebook = await get_readable(session, project_id, user)
    await service.link_lorebook(session, character, lorebook)
    return success()


@router.delete(
    "/api/core/characters/link/{username}/{pathname}/lorebook/{project_id}",
    tags=["Chat"],
)
async def unlink_lorebook(
    username: NamePath,
    pathname: NamePath,
    project_id: Annotated[DbId, Path()],
    session: SessionDep,
    user: CurrentUser,
) -> Success:
    """Remove a linked lorebook for a character."""
    character = await _own_character(session, username, pathname, user)
    await service.unlink_lorebook(session, character, project_id)
    return success()


async def _own_character(
    session: SessionDep, username: str, pathname: str, user: User
) -> Project:
    project = await get_readable_by_path(session, username, pathname, user)
    if project.creator_id != user.id:
        raise NotProjectOwner
    return project


async def _node_response(
    request: Request,
    session: SessionDep,
    project: Project,
    caller: User | None,
    full: bool,
) -> NodeEnvelope:
    node = await build_node(
        session, project, caller=caller, base_url=base_url(request), full=full
    )
    return NodeEnvelope(node=node)


@router.get("/api/characters/{creator}/{slug}", tags=["Read-Only"])
async def get_character(
    creator: NamePath,
    slug: NamePath,
    request: Request,
    session: SessionDep,
    caller: OptionalUser,
    full: bool = False,
) -> NodeEnvelope:
    """Get a character by its creator and slug (or id)."""
    project = await get_readable_by_path(session, creator, slug, caller, CHARACTERS)
    return await _node_response(request, session, project, caller, full)


@router.get("/api/lorebooks/{creator}/{slug}", tags=["Read-Only"])
async def get_lorebook(
    creator: NamePath,
    slug: NamePath,
    request: Request,
    session: SessionDep,
    caller: OptionalUser,
    full: bool = False,
) -> NodeEnvelope:
    """Get a lorebook by its creator and slug (or id)."""
    project = await get_readable_by_path(session, creator, slug, caller, LOREBOOKS)
    return await _node_response(request, session, project, caller, full)


@router.get("/api/characters/{project_id}", tags=["Read-Only"])
async def get_character_by_id(
    project_id: Annotated[DbId, Path()],
    request: Request,
    session: SessionDep,
    caller: OptionalUser,
    full: bool = False,
) -> NodeEnvelope:
    """Get a character by its numeric id."""
    project = await _readable_kind(session, project_id, caller, CHARACTERS)
    return await _node_response(request, session, project, caller, full)


@router.get("/api/lorebooks/{project_id}", tags=["Read-Only"])
async def get_lorebook_by_id(
    project_id: Annotated[DbId, Path()],
    request: Request,
    session: SessionDep,
    caller: OptionalUser,
    full: bool = False,
) -> NodeEnvelope:
    """Get a lorebook by its numeric id."""
    project = await _readable_kind(session, project_id, caller, LOREBOOKS)
    return await _node_response(request, session, project, caller, full)


@router.get("/api/project/{project_id}", tags=["Read-Only"])
async def get_project(
    project_id: Annotated[DbId, Path()],
    request: Request,
    session: SessionDep,
    caller: OptionalUser,
    full: bool = False,
) -> NodeEnvelope:
    """Get a character or lorebook by its numeric id."""
    project = await get_readable(session, project_id, caller)
    return await _node_response(request, session, project, caller, full)


async def _readable_kind(
    session: SessionDep, project_id: int, caller: User | None, kind: str
) -> Project:
    project = await get_readable(session, project_id, caller)
    if project.kind != kind:
        raise ProjectNotFound
    return project


def download_response(download: Download) -> Response:
    return Response(
        download.content,
        media_type=download.media_type,
        headers={"Content-Disposition": _disposition(download.filename)},
    )


def _disposition(filename: str) -> str:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


@router.get(
    "/api/characters/{creator}/{slug}/card.png",
    tags=["Read-Only"],
    response_class=Response,
)
async def get_card_png(
    creator: NamePath,
    slug: NamePath,
    session: SessionDep,
    storage: StorageDep,
    caller: OptionalUser,
) -> Response:
    """Download the character's card: its avatar with the card embedded."""
    project = await get_readable_by_path(session, creator, slug, caller, CHARACTERS)
    content = await card_image(session, storage, project)
    await service.record_download(session, project.id)
    return download_response(Download(content, "image/png", _png_name(project.name)))


def _png_name(name: str) -> str:
    from app.cards import safe_filename

    return safe_filename(name, "png")


@router.get(
    "/api/{namespace}/{creator}/{slug}/export",
    tags=["Read-Only"],
    response_class=Response,
)
async def export_project(
    namespace: Annotated[str, Path(pattern="^(characters|lorebooks)$")],
    creator: NamePath,
    slug: NamePath,
    session: SessionDep,
    storage: StorageDep,
    caller: OptionalUser,
    format: ExportFormat = ExportFormat.v2,
) -> Response:
    """Export a character (v2, v3, charx, png) or a lorebook (v3, v2, sillytavern)."""
    project = await get_readable_by_path(session, creator, slug, caller, namespace)
    download = await export(session, storage, project, format)
    await service.record_download(session, project.id)
    return download_response(download)
