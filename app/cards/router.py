"""Card import, and the download paths older clients call."""

import json
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from app.auth.dependencies import CurrentUser, OptionalUser
from app.cards.service import ExportFormat, export, import_card, read_upload
from app.db import SessionDep
from app.errors import NotFound
from app.kit.schemas import DbId, Success, success
from app.media.dependencies import StorageDep
from app.models import Project
from app.projects import service as projects
from app.projects.access import (
    CHARACTERS,
    LOREBOOKS,
    get_readable,
    get_readable_by_path,
)
from app.projects.definitions import load_character, load_lorebook
from app.projects.nodes import full_path
from app.projects.router import download_response
from app.projects.schemas import Visibility
from app.projects.versions import list_versions, version_definition

router = APIRouter()


@router.post("/api/core/import", tags=["Chat"])
async def import_file(
    session: SessionDep,
    storage: StorageDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="A card or lorebook file.")],
    visibility: Annotated[Visibility, Form()] = Visibility.public,
) -> Success:
    """Import a character card (V1/V2/V3 JSON, PNG, CharX) or a lorebook."""
    imported = read_upload(await file.read(), file.filename)
    project = await import_card(
        session, storage, user, imported, visibility.value, file.filename
    )
    return success(
        id=project.id,
        character_id=project.id,
        project_id=project.id,
        fullPath=full_path(project, user.username),
        projectSpace=project.kind,
        format=imported.source_format,
    )


RAW_FILES = ("card.json", "tavern_raw.json", "sillytavern_raw.json")


@router.get(
    "/api/v4/projects/{project_id}/repository/files/{file_path:path}/raw",
    tags=["Read-Only"],
    response_class=Response,
)
async def get_raw_file(
    project_id: Annotated[DbId, Path()],
    file_path: str,
    session: SessionDep,
    caller: OptionalUser,
    ref: Annotated[str, Query(max_length=64)] = "main",
) -> Response:
    """A project's definition as `card.json`, `tavern_raw.json` or
    `sillytavern_raw.json`, at `ref` (main or a version id)."""
    # Compat: clients double-encode the slash (raw%252Fcard.json), which arrives
    # here once decoded as raw%2Fcard.json.
    name = file_path.replace("%2F", "/").replace("%2f", "/").removeprefix("raw/")
    if name not in RAW_FILES:
        raise NotFound(f"No file {name!r}; there are {', '.join(RAW_FILES)}.")
    project = await get_readable(session, project_id, caller)
    definition = await version_definition(session, project, ref)
    await projects.record_download(session, project.id)
    body = _raw(project, definition, name)
    return Response(
        json.dumps(body, ensure_ascii=False).encode(), media_type="application/json"
    )


def _raw(project: Project, definition: dict[str, object], name: str) -> object:
    from app.cards import lorebook_to_world_info, to_v2

    if project.kind == LOREBOOKS:
        book = load_lorebook(definition)
        if name == "sillytavern_raw.json":
            return lorebook_to_world_info(book)
        from app.cards import lorebook_to_character_book

        return lorebook_to_character_book(book)
    card = to_v2(load_character(definition))
    if name == "tavern_raw.json":
        return {"data": card["data"]}
    if name == "sillytavern_raw.json":
        raise NotFound("sillytavern_raw.json is the file of lorebooks.")
    return card


@router.get("/api/v4/projects/{project_id}/repository/commits", tags=["Read-Only"])
async def list_commits(
    project_id: Annotated[DbId, Path()], session: SessionDep, caller: OptionalUser
) -> list[dict[str, object]]:
    """The versions of a project's definition, newest first."""
    project = await get_readable(session, project_id, caller)
    return await list_versions(session, project)


class CharacterDownload(BaseModel):
    fullPath: str
    format: str = "tavern"
    version: str = "main"


@router.post("/api/characters/download", tags=["Read-Only"], response_class=Response)
async def download_character(
    body: CharacterDownload,
    session: SessionDep,
    storage: StorageDep,
    caller: OptionalUser,
) -> Response:
    """Download a character's card PNG by its full path (older clients)."""
    creator, _, slug = body.fullPath.strip("/").partition("/")
    if not slug:
        raise NotFound("fullPath is creator/slug.")
    project = await get_readable_by_path(session, creator, slug, caller, CHARACTERS)
    fmt = ExportFormat.v2 if body.format.lower() == "json" else ExportFormat.png
    download = await export(session, storage, project, fmt)
    await projects.record_download(session, project.id)
    return download_response(download)


class LorebookDownload(BaseModel):
    fullPath: str
    format: str = "SILLYTAVERN"


@router.post("/api/lorebooks/download", tags=["Read-Only"], response_class=Response)
async def download_lorebook(
    body: LorebookDownload,
    session: SessionDep,
    storage: StorageDep,
    caller: OptionalUser,
) -> Response:
    """Download a lorebook as SillyTavern world info by its full path."""
    path = body.fullPath.strip("/").removeprefix("lorebooks/")
    creator, _, slug = path.partition("/")
    if not slug:
        raise NotFound("fullPath is lorebooks/creator/slug.")
    project = await get_readable_by_path(session, creator, slug, caller, LOREBOOKS)
    download = await export(session, storage, project, ExportFormat.sillytavern)
    await projects.record_download(session, project.id)
    return download_response(download)
