from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask

from app.auth.dependencies import CurrentUser, OptionalUser
from app.db import SessionDep
from app.kit.dependencies import SettingsDep
from app.lore.embedder import get_embedder
from app.openai import service
from app.openai.backend import Backend, Call
from app.openai.dependencies import BackendDep
from app.openai.schemas import (
    ChatCompletionRequest,
    CompletionRequest,
    ModelList,
    ModelRead,
)

router = APIRouter(prefix="/v1", tags=["OpenAI"])

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.get("/models")
async def list_models(
    session: SessionDep,
    caller: OptionalUser,
    backend: BackendDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[str | None, Query(max_length=500)] = None,
) -> ModelList:
    """List the models and the characters you can chat with, a page at a time."""
    return await service.list_models(session, caller, backend, limit, after)


@router.get("/models/{model:path}")
async def get_model(
    model: Annotated[str, Path(max_length=300)],
    session: SessionDep,
    caller: OptionalUser,
    backend: BackendDep,
) -> ModelRead:
    """Describe a model or a `character/<creator>/<slug>`."""
    return await service.get_model(session, caller, backend, model)


@router.post("/chat/completions")
async def create_chat_completion(
    request: Request,
    body: ChatCompletionRequest,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    backend: BackendDep,
) -> Response:
    """Chat with a model, or with a character as `character/<creator>/<slug>`."""
    embedder = partial(get_embedder, request)
    call = await service.chat_call(session, settings, user, backend, body, embedder)
    # Generation takes seconds: the database connection goes back first.
    await session.commit()
    return await _answer(call, backend)


@router.post("/completions")
async def create_completion(
    request: Request,
    body: CompletionRequest,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    backend: BackendDep,
) -> Response:
    """Continue a text, optionally in a character's context."""
    embedder = partial(get_embedder, request)
    call = await service.text_call(session, settings, user, backend, body, embedder)
    await session.commit()
    return await _answer(call, backend)


async def _answer(call: Call, backend: Backend) -> Response:
    if not call.params.stream:
        return Response(await backend.complete(call), media_type="application/json")
    stream = await backend.open_stream(call)
    # The background task runs even when the client left before the first
    # chunk, so the upstream call or the generation always ends.
    return StreamingResponse(
        stream.chunks,
        media_type="text/event-stream",
        headers=SSE_HEADERS,
        background=BackgroundTask(stream.close),
    )
