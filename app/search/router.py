from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from app.auth.dependencies import OptionalUser
from app.db import SessionDep
from app.kit.urls import base_url, media_url
from app.projects.nodes import full_path, load_nodes
from app.search import service, tags
from app.search.schemas import (
    LegacySearchResponse,
    MiniResult,
    MiniSearch,
    MiniSearchResponse,
    SearchData,
    SearchQuery,
    SearchResponse,
    TagRead,
    TagsQuery,
    TagsResponse,
)

router = APIRouter()

# A tag counts as NSFW or NSFL when most of its public projects are.
FLAG_SHARE = 0.5


async def _search(
    request: Request, session: SessionDep, caller: OptionalUser, query: SearchQuery
) -> tuple[service.SearchPage, list[object]]:
    page = await service.search(session, query, caller)
    nodes = await load_nodes(
        session, page.ids, caller=caller, base_url=base_url(request)
    )
    return page, [node.model_dump(mode="json") for node in nodes]


def _envelope(page: service.SearchPage, nodes: list[object]) -> SearchResponse:
    # Compat: `count` is the total with count=true, else the number returned.
    total = page.total if page.total is not None else len(nodes)
    data = SearchData(
        count=total,
        nodes=nodes,
        page=page.page,
        cursor=page.cursor,
        previous_cursor=page.previous_cursor,
    )
    return SearchResponse(
        data=data, results=nodes, total=total, page=page.page, cursor=page.cursor
    )


@router.get("/search")
async def search(
    request: Request,
    session: SessionDep,
    caller: OptionalUser,
    query: Annotated[SearchQuery, Query()],
) -> SearchResponse:
    """Do Internal Search"""
    return _envelope(*await _search(request, session, caller, query))


@router.post("/search")
async def search_bypass(
    request: Request,
    session: SessionDep,
    caller: OptionalUser,
    query: Annotated[SearchQuery, Query()],
) -> SearchResponse:
    """Do Internal Search Bypass"""
    # Compat: clients send `{}` as the body; the parameters are in the query.
    return _envelope(*await _search(request, session, caller, query))


async def _legacy(
    request: Request,
    session: SessionDep,
    caller: OptionalUser,
    query: SearchQuery,
    namespace: str,
) -> LegacySearchResponse:
    query = query.model_copy(update={"namespace": namespace})
    page, nodes = await _search(request, session, caller, query)
    total = page.total if page.total is not None else len(nodes)
    return LegacySearchResponse(
        nodes=nodes, count=total, page=page.page, cursor=page.cursor
    )


@router.get("/api/characters/search", tags=["Read-Only"])
async def search_characters(
    request: Request,
    session: SessionDep,
    caller: OptionalUser,
    query: Annotated[SearchQuery, Query()],
) -> LegacySearchResponse:
    """Search characters (the older path and envelope)."""
    return await _legacy(request, session, caller, query, "characters")


@router.get("/api/lorebooks/search", tags=["Read-Only"])
async def search_lorebooks(
    request: Request,
    session: SessionDep,
    caller: OptionalUser,
    query: Annotated[SearchQuery, Query()],
) -> LegacySearchResponse:
    """Search lorebooks (the older path and envelope)."""
    return await _legacy(request, session, caller, query, "lorebooks")


@router.post("/minisearch")
async def minisearch(
    request: Request, session: SessionDep, caller: OptionalUser, body: MiniSearch
) -> MiniSearchResponse:
    """A quick search just by names."""
    hits = await service.minisearch(
        session, body.query, caller, nsfw=body.nsfw, nsfl=body.nsfl
    )
    base = base_url(request)
    return MiniSearchResponse(
        results=[
            MiniResult(
                id=hit.id,
                name=hit.name,
                fullPath=full_path(hit, hit.creator),
                avatar_url=media_url(base, hit.avatar_key),
                projectSpace=hit.kind,
            )
            for hit in hits
        ]
    )


async def _tags(session: SessionDep, query: TagsQuery) -> TagsResponse:
    rows, total = await tags.list_tags(session, query)
    return TagsResponse(
        tags=[
            TagRead(
                id=row.id,
                name=row.name,
                title=row.name,
                count=row.count,
                non_private_projects_count=row.count,
                followers_count=row.followers,
                is_nsfw=row.nsfw_share > FLAG_SHARE,
                is_nsfl=row.nsfl_share > FLAG_SHARE,
            )
            for row in rows
        ],
        count=total,
        page=query.page,
    )


@router.post("/tags", tags=["Read-Only"])
async def list_tags(
    session: SessionDep, body: Annotated[TagsQuery | None, Body()] = None
) -> TagsResponse:
    """Get all tags with counts, optionally by namespace."""
    return await _tags(session, body or TagsQuery())


@router.get("/tags", tags=["Read-Only"])
async def get_tags(
    session: SessionDep, query: Annotated[TagsQuery, Query()]
) -> TagsResponse:
    """Get all tags with counts (query parameters as the POST body's fields)."""
    return await _tags(session, query)
