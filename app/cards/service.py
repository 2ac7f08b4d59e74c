"""Cards in and out of the hub: imports, exports and the card PNG."""

import asyncio
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from app.cards.charx import embedded_path, to_charx
from app.cards.errors import CardError
from app.cards.filename import safe_filename
from app.cards.model import ImportedCard, JSONObject
from app.cards.png import card_png
from app.cards.reader import read_card
from app.cards.worldinfo import lorebook_to_world_info
from app.cards.writer import lorebook_to_character_book, lorebook_to_v3, to_v2, to_v3
from app.errors import BadRequest, InvalidInput
from app.media.storage import Storage
from app.models import Project, User
from app.projects import service as projects
from app.projects.access import CHARACTERS
from app.projects.definitions import load_character, load_lorebook
from app.projects.service import ProjectMeta

log = structlog.get_logger(__name__)


class UnreadableCard(InvalidInput):
    def __init__(self, message: str) -> None:
        super().__init__(message, ("body", "file"))


class ExportFormat(StrEnum):
    v2 = "v2"
    v3 = "v3"
    charx = "charx"
    png = "png"
    sillytavern = "sillytavern"
    worldinfo = "worldinfo"
    card_spec_v2 = "card_spec_v2"
    tavern = "tavern"


@dataclass(frozen=True)
class Download:
    content: bytes
    media_type: str
    filename: str


def read_upload(data: bytes, filename: str | None) -> ImportedCard:
    try:
        return read_card(data, filename)
    except CardError as error:
        raise UnreadableCard(f"Cannot import this file: {error.message}") from None


async def import_card(
    session: AsyncSession,
    storage: Storage,
    user: User,
    imported: ImportedCard,
    visibility: str = "public",
    filename: str | None = None,
) -> Project:
    """Create a character or lorebook from a read card, with its files."""
    if imported.character is not None:
        card = imported.character
        meta = ProjectMeta(
            name=card.name,
            description=card.creator_notes,
            visibility=visibility,
            topics=card.tags,
            avatar=imported.avatar,
        )
        project = await projects.create_character(session, storage, user, card, meta)
        for path, content in imported.assets.items():
            await storage.put(asset_key(project.id, path), content, "")
    else:
        assert imported.lorebook is not None
        book = imported.lorebook
        meta = ProjectMeta(
            name=book.name or _name_from_file(filename) or "Untitled lorebook",
            description=book.description,
            visibility=visibility,
        )
        project = await projects.create_lorebook(session, storage, user, book, meta)
    log.info("cards.imported", project_id=project.id, format=imported.source_format)
    return project


def _name_from_file(filename: str | None) -> str:
    if not filename:
        return ""
    stem = PurePath(filename).name.rsplit(".", 1)[0]
    return stem.strip()[:200]


def asset_key(project_id: int, path: str) -> str:
    return f"assets/{project_id}/{path}"


async def card_image(
    session: AsyncSession, storage: Storage, project: Project
) -> bytes:
    """The character's card PNG, made once per version and kept in storage."""
    if project.card_key is not None:
        cached = await storage.get(project.card_key)
        if cached is not None:
            return cached
    avatar = await storage.get(project.avatar_key) if project.avatar_key else None
    card = load_character(project.definition)
    content = await asyncio.to_thread(card_png, avatar, card)
    key = f"cards/{project.id}/{project.version_sha}.png"
    await storage.put(key, content, "image/png")
    project.card_key = key
    await session.flush()
    return content


async def export(
    session: AsyncSession, storage: Storage, project: Project, fmt: ExportFormat
) -> Download:
    if project.kind == CHARACTERS:
        return await _export_character(session, storage, project, fmt)
    return _export_lorebook(project, fmt)


async def _export_character(
    session: AsyncSession, storage: Storage, project: Project, fmt: ExportFormat
) -> Download:
    name = project.name
    if fmt in (ExportFormat.png, ExportFormat.tavern, ExportFormat.card_spec_v2):
        content = await card_image(session, storage, project)
        return Download(content, "image/png", safe_filename(name, "png"))
    card = load_character(project.definition)
    if fmt is ExportFormat.v2:
        return _json(to_v2(card), name)
    if fmt is ExportFormat.v3:
        return _json(to_v3(card), name)
    if fmt is ExportFormat.charx:
        assets = await _assets(storage, project, card.assets)
        avatar = await storage.get(project.avatar_key) if project.avatar_key else None
        content = await asyncio.to_thread(to_charx, card, assets, avatar)
        return Download(content, "application/zip", safe_filename(name, "charx"))
    raise BadRequest(f"Characters export as v2, v3, charx or png, not {fmt.value}.")


async def _assets(
    storage: Storage, project: Project, assets: list[JSONObject]
) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for asset in assets:
        path = embedded_path(asset.get("uri"))
        if path is None:
            continue
        content = await storage.get(asset_key(project.id, path))
        if content is not None:
            found[path] = content
    return found


def _export_lorebook(project: Project, fmt: ExportFormat) -> Download:
    book = load_lorebook(project.definition)
    if fmt in (ExportFormat.sillytavern, ExportFormat.worldinfo):
        return _json(lorebook_to_world_info(book), project.name)
    if fmt is ExportFormat.v3:
        return _json(lorebook_to_v3(book), project.name)
    if fmt is ExportFormat.v2:
        return _json(lorebook_to_character_book(book), project.name)
    raise BadRequest(f"Lorebooks export as v3, v2 or sillytavern, not {fmt.value}.")


def _json(obj: JSONObject, name: str) -> Download:
    content = json.dumps(obj, ensure_ascii=False, indent=2).encode("utf-8")
    return Download(content, "application/json", safe_filename(name, "json"))
