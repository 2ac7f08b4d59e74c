"""A small OpenAI-compatible server for the proxy tests and the benchmark.

Run as its own process: ``python -m uvicorn tests.openai.fake_upstream:app``.
Every answer's text is the JSON of the request body it received (so a test can
see what the hub sent); streamed answers come in a few chunks, ``delay``
seconds apart (a field of the request, which the hub forwards unknown).
The model ``refuse`` answers 400; ``GET /stats`` counts finished and
abandoned streams.
"""

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

MODELS = ["fake-model", "fake-other"]
STATS = {"streams_finished": 0, "streams_abandoned": 0, "requests": 0}


def _refused(request: Request, body: dict[str, Any]) -> Response | None:
    key = os.environ.get("FAKE_UPSTREAM_KEY")
    if key and request.headers.get("authorization") != f"Bearer {key}":
        error = {"message": "bad key", "type": "invalid_request_error"}
        return JSONResponse({"error": {**error, "code": "invalid_api_key"}}, 401)
    if body.get("model") == "refuse":
        error = {"message": "no such thing", "type": "invalid_request_error"}
        return JSONResponse({"error": {**error, "param": "model", "code": None}}, 400)
    return None


def _envelope(body: dict[str, Any], chat: bool, chunk: bool) -> dict[str, Any]:
    kind = "chat.completion.chunk" if chunk else "chat.completion"
    return {
        "id": "fake-1",
        "object": kind if chat else "text_completion",
        "created": int(time.time()),
        "model": body.get("model", "fake-model"),
    }


def _whole(body: dict[str, Any], chat: bool) -> dict[str, Any]:
    text = json.dumps(body)
    if chat:
        choice: dict[str, Any] = {"message": {"role": "assistant", "content": text}}
    else:
        choice = {"text": text}
    choice.update(index=0, finish_reason="stop", logprobs=None)
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    return {**_envelope(body, chat, False), "choices": [choice], "usage": usage}


async def _chunks(body: dict[str, Any], chat: bool) -> AsyncIterator[bytes]:
    text = json.dumps(body)
    pieces = [
        text[i : i + max(len(text) // 4, 1)]
        for i in range(0, len(text), max(len(text) // 4, 1))
    ]
    try:
        for piece in pieces:
            if chat:
                choice: dict[str, Any] = {"delta": {"content": piece}}
            else:
                choice = {"text": piece}
            choice.update(index=0, finish_reason=None)
            event = {**_envelope(body, chat, True), "choices": [choice]}
            yield f"data: {json.dumps(event)}\n\n".encode()
            await asyncio.sleep(float(body.get("delay", 0)))
        yield b"data: [DONE]\n\n"
        STATS["streams_finished"] += 1
    except asyncio.CancelledError:
        STATS["streams_abandoned"] += 1
        raise


async def _complete(request: Request, chat: bool) -> Response:
    STATS["requests"] += 1
    body = await request.json()
    refused = _refused(request, body)
    if refused is not None:
        return refused
    if body.get("stream"):
        return StreamingResponse(_chunks(body, chat), media_type="text/event-stream")
    return JSONResponse(_whole(body, chat))


async def chat_completions(request: Request) -> Response:
    return await _complete(request, chat=True)


async def completions(request: Request) -> Response:
    return await _complete(request, chat=False)


async def models(request: Request) -> Response:
    data = [
        {"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in MODELS
    ]
    return JSONResponse({"object": "list", "data": data})


async def stats(request: Request) -> Response:
    return JSONResponse(STATS)


app = Starlette(
    routes=[
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/completions", completions, methods=["POST"]),
        Route("/v1/models", models),
        Route("/stats", stats),
    ]
)
