from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, File, Form, Path, Query, UploadFile

from app.auth.dependencies import CurrentUser, OptionalUser
from app.db import SessionDep
from app.kit.dependencies import SettingsDep
from app.kit.schemas import DbId, Success, success
from app.lore import service
from app.lore.embedder import EmbedderDep
from app.lore.errors import TooManyOwners
from app.lore.ranking import Candidate
from app.lore.schemas import (
    DEFAULT_ITEMS_PAGE,
    MAX_ITEMS_PAGE,
    MAX_OWNERS,
    AddedItem,
    LoreFetch,
    LoreItemAdded,
    LoreItemRead,
    LoreItems,
    LoreQuery,
    LoreResult,
    LoreResults,
)
from app.lore.service import AddedBatch, Upload
from app.models import LoreItem

router = APIRouter(tags=["Lore"])

PREVIEW_CHARS = 500
# A text item can be megabytes; a listing shows its beginning.
LISTED_CHARS = 4000


@router.post("/lore")
async def query_lore(
    body: LoreQuery,
    session: SessionDep,
    settings: SettingsDep,
    embedder: EmbedderDep,
    caller: OptionalUser,
) -> LoreResults:
    """Make a RAG lore request."""
    found = await service.search(session, settings, embedder, caller, body)
    return LoreResults(results=[_result(candidate) for candidate in found])


@router.post("/lore/item")
async def add_lore_item(
    owner_id: Annotated[DbId, Form()],
    session: SessionDep,
    settings: SettingsDep,
    embedder: EmbedderDep,
    user: CurrentUser,
    file: Annotated[UploadFile | None, File()] = None,
    content: Annotated[str | None, Form()] = None,
    name: Annotated[str | None, Form(max_length=500)] = None,
) -> LoreItemAdded:
    """Add an unstructured item."""
    upload = Upload(content=content, name=name)
    if file is not None:
        upload.data = await file.read()
        upload.filename = file.filename
    added = await service.add_items(session, settings, embedder, user, owner_id, upload)
    return _added(added)


@router.get("/lore/items", tags=["Read-Only"])
async def list_lore_items(
    session: SessionDep,
    caller: OptionalUser,
    owner_ids: Annotated[list[DbId] | None, Query()] = None,
    body: Annotated[LoreFetch | None, Body()] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    first: Annotated[int, Query(ge=1, le=MAX_ITEMS_PAGE)] = DEFAULT_ITEMS_PAGE,
) -> LoreItems:
    """Get unstructured items for these owners."""
    # Compat: the specification sends a JSON body with GET, which many HTTP
    # clients cannot; repeated query parameters say the same.
    wanted = list(
        dict.fromkeys([*(owner_ids or []), *(body.owner_ids if body else [])])
    )
    if not wanted:
        raise TooManyOwners("Give `owner_ids`, in a JSON body or as query parameters.")
    if len(wanted) > MAX_OWNERS:
        raise TooManyOwners(f"At most {MAX_OWNERS} owner ids at once.")
    offset = (page - 1) * first
    items, total = await service.list_items(session, wanted, caller, offset, first)
    return LoreItems(
        items=[_item(item) for item in items],
        count=total,
        page=page,
        first=first,
        has_more=offset + len(items) < total,
    )


@router.delete("/lore/{owner_id}/item/{uuid}")
async def delete_lore_item(
    owner_id: Annotated[DbId, Path()],
    uuid: Annotated[UUID, Path()],
    session: SessionDep,
    user: CurrentUser,
) -> Success:
    """Remove an unstructured item."""
    await service.delete_items(session, user, owner_id, uuid)
    return success()


def _result(candidate: Candidate) -> LoreResult:
    item = candidate.item
    return LoreResult(
        uuid=candidate.passage_uuid,
        item_uuid=item.uuid,
        owner_id=item.owner_id,
        name=item.name,
        kind=item.kind,
        content=candidate.content,
        score=round(candidate.score, 6),
        similarity=(
            None if candidate.similarity is None else round(candidate.similarity, 6)
        ),
        matched_keys=candidate.match.matched_keys if candidate.match else [],
        reason=candidate.reason,
        position=item.position,
        order=item.insertion_order,
    )


def _item(item: LoreItem) -> LoreItemRead:
    return LoreItemRead(
        uuid=item.uuid,
        batch_uuid=item.batch_uuid,
        owner_id=item.owner_id,
        name=item.name,
        kind=item.kind,
        source=item.source,
        content=item.content[:LISTED_CHARS],
        truncated=len(item.content) > LISTED_CHARS,
        keys=item.keys,
        secondary_keys=item.secondary_keys,
        selective=item.selective,
        selective_logic=item.selective_logic,
        constant=item.constant,
        enabled=item.enabled,
        case_sensitive=item.case_sensitive,
        use_regex=item.use_regex,
        position=item.position,
        order=item.insertion_order,
        status=item.status,
        error=item.error,
        n_passages=item.n_passages,
        created_at=item.created_at,
    )


def _added(added: AddedBatch) -> LoreItemAdded:
    items = added.items
    statuses = {item.status for item in items}
    return LoreItemAdded(
        uuid=added.batch_uuid,
        owner_id=items[0].owner_id,
        name=added.name,
        content=items[0].content[:PREVIEW_CHARS],
        status="ready" if statuses == {"ready"} else "pending",
        n_passages=sum(item.n_passages for item in items),
        n_items=len(items),
        items=[
            AddedItem(
                uuid=item.uuid,
                name=item.name,
                status=item.status,
                n_passages=item.n_passages,
            )
            for item in items
        ],
    )
