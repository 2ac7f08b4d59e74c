"""What the logs hold after a realistic session: never keys, passwords or texts.

The hub runs on a real port at DEBUG with the production renderer and engine,
and every record a logger of the process emits (structlog's and the standard
library's: uvicorn, SQLAlchemy, HTTP clients, MCP) is captured, both as rendered
and as the raw record.
"""

import base64
import ipaddress
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.cards import LorebookEntry
from app.config import Settings
from app.db import create_engine
from app.imagine import jobs
from app.imagine.backends.base import BackendRefused
from app.kit.fetch import Fetcher, get_fetcher
from app.logging import configure_logging
from tests.factories import Caller, create_project, create_user
from tests.gallery import images
from tests.imagine.conftest import FakeBackend, InlineQueue, shared_transaction
from tests.kit.image_server import ImageServer, image_server
from tests.openai.live import Live, fake_upstream, serve_app

PASSWORD = "correct-horse-battery-staple-81"
FORGED_KEY = "rst_forgedKeyThatNobodyWasEverGiven0123456789"
CHAT_PROMPT = "Tell me the vault code hidden under the lighthouse stairs"
IMAGE_PROMPT = "a portrait of the smuggler queen Ysolde with her emerald dagger"
LORE_QUERY = "which tunnels do the glass-eyed otters guard at night"
LORE_TEXT = "Glass-eyed otters guard the salt tunnels under Quillmere."
EMOTION_TEXT = "I am so furious that the ferryman sold my silver lute"
CONFIG_VALUE = "preset-temperature-sapphire-0.93"
URL_TOKEN = "sig-4f1c9e0d2b7a66e1c3"
PRIVATE_TEXT = "the diary of Ysolde names every harbour spy"
# Test-side clients log what they send; only the hub's own loggers count.
CLIENT_LOGGERS = ("mcp.client",)


class Capture(logging.Handler):
    """Every record, rendered as the app renders it and as it was made."""

    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(formatter)
        self.texts: list[str] = []
        self.events: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(CLIENT_LOGGERS):
            return
        if isinstance(record.msg, dict):
            self.events.append(str(record.msg.get("event")))
        raw = f"{record.name} {record.msg!r} {record.args!r} {record.exc_info!r}"
        self.texts.extend([self.format(record), raw])


@pytest.fixture
def upstream() -> Iterator[str]:
    # The upstream model server wants its own key: the hub's "password".
    with fake_upstream(FAKE_UPSTREAM_KEY=PASSWORD) as url:
        yield url


@pytest.fixture
def server() -> Iterator[ImageServer]:
    with image_server() as served:
        yield served


@pytest.fixture
def debug_settings(
    settings: Settings, upstream: str, tmp_path: Path
) -> Iterator[Settings]:
    debug = settings.model_copy(
        update={
            "log_level": "DEBUG",
            "log_json": True,
            "rate_limit_enabled": True,
            "llm_base_url": f"{upstream}/v1",
            "llm_api_key": SecretStr(PASSWORD),
            "imagine_backend": "automatic1111",
            "imagine_url": "http://127.0.0.1:9",
            "imagine_api_key": SecretStr(f"painter:{PASSWORD}"),
            "data_dir": tmp_path,
        }
    )
    # Before any connection opens: SQLAlchemy reads its loggers' levels then.
    configure_logging(debug)
    yield debug
    configure_logging(settings)


@pytest.fixture
async def app_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine made as the app makes its own."""
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def debug_session(
    debug_settings: Settings, app_engine: AsyncEngine
) -> AsyncIterator[AsyncSession]:
    async with app_engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection,
            expire_on_commit=False,
            autoflush=False,
            join_transaction_mode="create_savepoint",
        )
        yield session
        await session.close()
        await transaction.rollback()


@pytest.fixture
async def live(
    debug_settings: Settings, app_engine: AsyncEngine, debug_session: AsyncSession
) -> AsyncIterator[Live]:
    def prepare(app: FastAPI) -> None:
        # An image server that refuses, quoting the prompt as some do.
        backend = FakeBackend()
        backend.error = BackendRefused(
            f"The image server refused the request (HTTP 422): {IMAGE_PROMPT}"
        )
        ctx = jobs.JobContext(
            transaction=shared_transaction(debug_session),
            storage=app.state.storage,
            backend=backend,
            settings=debug_settings,
        )
        app.state.imagine_queue = InlineQueue(ctx)
        loopback = (ipaddress.ip_network("127.0.0.1/32"),)
        fetcher = Fetcher(timeout=5, allowed_networks=loopback)
        app.dependency_overrides[get_fetcher] = lambda: fetcher

    async with serve_app(debug_settings, app_engine, debug_session, prepare) as live:
        yield live


async def _world(session: AsyncSession) -> tuple[Caller, int]:
    """A user with credits, a character and a lorebook; the lorebook's id."""
    alice = await create_user(session, username="auditor", credits=100)
    await create_project(session, alice, name="Mira", description="A ferry pilot.")
    book = await create_project(
        session,
        alice,
        kind="lorebooks",
        name="Quillmere",
        entries=[LorebookEntry(keys=["otters"], content=LORE_TEXT)],
    )
    await session.commit()
    return alice, book.id


async def _accounts(http: httpx.AsyncClient, key: str) -> str:
    """Every way of sending a key, a forged one, a password; the registered key."""
    for headers in (
        {"CH-API-KEY": key},
        {"samwise": key},
        {"Authorization": f"Bearer {key}"},
        {"Authorization": key},
    ):
        assert (await http.get("/api/account", headers=headers)).status_code == 200
    # Keys are not read from the query string, but some clients put them there.
    assert (await http.get("/api/account", params={"api_key": key})).status_code == 401
    forged = await http.get("/api/account", headers={"CH-API-KEY": FORGED_KEY})
    assert forged.status_code == 401
    basic = base64.b64encode(f"auditor:{PASSWORD}".encode()).decode()
    assert (
        await http.get("/api/account", headers={"Authorization": f"Basic {basic}"})
    ).status_code == 401
    registered = await http.post(
        "/api/auth/register",
        json={"username": "newcomer", "password": PASSWORD},
    )
    assert registered.status_code == 200, registered.text
    return str(registered.json()["api_key"])


async def _texts(http: httpx.AsyncClient, key: str, book_id: int) -> None:
    """A config value, an emotion text and a lore query, as clients send them."""
    headers = {"CH-API-KEY": key}
    configs = {"configs": [{"config_id": "a", "sub_id": "b", "value": CONFIG_VALUE}]}
    for response in (
        await http.post(
            "/config/sampler/main", json={"value": CONFIG_VALUE}, headers=headers
        ),
        await http.post("/config", json=configs, headers=headers),
        await http.get("/config", headers=headers),
        await http.post(
            "/api/infer/emotion", json={"text": EMOTION_TEXT}, headers=headers
        ),
        await http.post(
            "/lore", json={"query": LORE_QUERY, "owner_ids": [book_id]}, headers=headers
        ),
        await http.get("/search", params={"search": LORE_QUERY}, headers=headers),
    ):
        assert response.status_code == 200, response.text
    malformed = await http.post(
        "/api/infer/emotion", json={"text": [EMOTION_TEXT]}, headers=headers
    )
    assert malformed.status_code == 422


async def _chat(http: httpx.AsyncClient, key: str) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    messages = [{"role": "user", "content": CHAT_PROMPT}]
    for model in ("fake-model", "character/auditor/mira"):
        answer = await http.post(
            "/v1/chat/completions",
            json={"model": model, "messages": messages},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
    async with http.stream(
        "POST",
        "/v1/chat/completions",
        json={"model": "fake-model", "messages": messages, "stream": True},
        headers=headers,
    ) as stream:
        assert stream.status_code == 200
        assert "[DONE]" in "".join([chunk async for chunk in stream.aiter_text()])
    refused = await http.post(
        "/v1/chat/completions",
        json={"model": "fake-model", "messages": CHAT_PROMPT},
        headers=headers,
    )
    assert refused.status_code == 400


async def _media(http: httpx.AsyncClient, key: str, server: ImageServer) -> None:
    """An image by a signed URL, a refused generation, an oversized text."""
    headers = {"CH-API-KEY": key}
    url = server.image(f"/cat.png?token={URL_TOKEN}", images.png())
    uploaded = await http.post(
        "/api/gallery/upload", json={"url": url}, headers=headers
    )
    assert uploaded.status_code == 200, uploaded.text
    imagined = await http.post(
        "/imagine", json={"prompt": IMAGE_PROMPT}, headers=headers
    )
    assert imagined.json()["is_failed"] is True, imagined.text
    # Distinct words past what PostgreSQL's search vector holds.
    words = " ".join(f"w{n:x}q" for n in range(200_000))
    oversized = await http.post(
        "/api/core/characters",
        json={"name": "Diary", "description": f"{PRIVATE_TEXT} {words}"},
        headers=headers,
    )
    assert oversized.status_code == 400, oversized.text


async def _mcp(url: str, key: str) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    calls: list[tuple[str, dict[str, Any]]] = [
        ("infer_emotion", {"text": EMOTION_TEXT}),
        ("query_lore", {"query": LORE_QUERY, "paths": ["lorebooks/auditor/quillmere"]}),
    ]
    async with create_mcp_http_client(headers=headers) as http:
        async with Client(
            streamable_http_client(f"{url}/mcp", http_client=http)
        ) as mcp:
            for tool, arguments in calls:
                result = await mcp.call_tool(tool, arguments)
                assert result.is_error is False, result.content


class TestLogAudit:
    async def test_no_secret_or_user_text_is_logged(
        self, live: Live, debug_session: AsyncSession, server: ImageServer
    ) -> None:
        alice, book_id = await _world(debug_session)
        capture = Capture(logging.getLogger().handlers[0].formatter)
        logging.getLogger().addHandler(capture)
        try:
            async with httpx.AsyncClient(base_url=live.url, timeout=60) as http:
                registered = await _accounts(http, alice.key)
                await _texts(http, alice.key, book_id)
                await _chat(http, alice.key)
                await _media(http, alice.key, server)
            await _mcp(live.url, alice.key)
        finally:
            logging.getLogger().removeHandler(capture)

        assert {"http.request", "imagine.job_failed"} <= set(capture.events)
        assert "request.data_error" in capture.events
        logged = "\n".join(capture.texts)
        secrets = {
            "API key": alice.key,
            "registered key": registered,
            "forged key": FORGED_KEY,
            "password": PASSWORD,
            "chat prompt": CHAT_PROMPT,
            "image prompt": IMAGE_PROMPT,
            "lore query": LORE_QUERY,
            "lore text": LORE_TEXT,
            "emotion text": EMOTION_TEXT,
            "config value": CONFIG_VALUE,
            "URL token": URL_TOKEN,
            "private text": PRIVATE_TEXT,
        }
        leaked = [name for name, secret in secrets.items() if _found(logged, secret)]
        assert leaked == [], "\n\n".join(
            f"{name}: ...{_context(logged, secrets[name])}..." for name in leaked
        )


class TestDatabaseErrors:
    async def test_leave_out_the_statement_parameters(
        self, app_engine: AsyncEngine
    ) -> None:
        statement = text("SELECT * FROM no_such_table WHERE name = :name")

        with pytest.raises(DBAPIError) as error:
            async with app_engine.connect() as connection:
                await connection.execute(statement, {"name": PRIVATE_TEXT})

        # What request.database_error and tracebacks would log.
        assert "no_such_table" in str(error.value)
        assert PRIVATE_TEXT not in str(error.value)


def _forms(secret: str) -> set[str]:
    # As JSON escapes it, and in part (a truncated repr keeps the start).
    return {secret, json.dumps(secret)[1:-1], secret[:20]}


def _found(logged: str, secret: str) -> bool:
    return any(form in logged for form in _forms(secret))


def _context(logged: str, secret: str) -> str:
    at = max(logged.find(form) for form in _forms(secret))
    return logged[max(0, at - 300) : at + 100]
