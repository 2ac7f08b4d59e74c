"""The MCP server at /mcp with the official MCP client, over real HTTP."""

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.cards import LorebookEntry
from app.config import Settings
from app.models import ImagineJob
from app.models.imagine import JobStatus
from tests.factories import Caller, create_project, create_user
from tests.openai.live import Live, serve_app

TOOLS = {
    "search_projects",
    "get_character",
    "get_lorebook",
    "query_lore",
    "infer_emotion",
    "list_tags",
    "start_image_generation",
    "get_image_generation",
}
Connect = Callable[[str | None], AbstractAsyncContextManager[Client]]


class RecordingQueue:
    """Takes jobs without running them: the worker is another test's subject."""

    def __init__(self) -> None:
        self.queued: list[int] = []

    async def enqueue(self, job_id: int) -> None:
        self.queued.append(job_id)


@pytest.fixture
async def live(
    settings: Settings, engine: AsyncEngine, session: AsyncSession
) -> AsyncIterator[Live]:
    imagine = settings.model_copy(
        update={"imagine_backend": "automatic1111", "imagine_url": "http://127.0.0.1:9"}
    )

    def prepare(app: FastAPI) -> None:
        app.state.imagine_queue = RecordingQueue()

    async with serve_app(imagine, engine, session, prepare) as served:
        yield served


@pytest.fixture
def connect(live: Live) -> Connect:
    @asynccontextmanager
    async def open_client(key: str | None) -> AsyncIterator[Client]:
        headers = {"Authorization": f"Bearer {key}"} if key else None
        async with create_mcp_http_client(headers=headers) as http:
            transport = streamable_http_client(f"{live.url}/mcp", http_client=http)
            async with Client(transport) as client:
                yield client

    return open_client


@pytest.fixture
async def alice(session: AsyncSession) -> Caller:
    alice = await create_user(session, username="alice", credits=100)
    entry = LorebookEntry(keys=["lantern"], content="The lantern burns green.")
    await create_project(
        session, alice, name="Mira", description="A ferry pilot.", topics=["boats"]
    )
    await create_project(session, alice, name="Hidden", visibility="private")
    await create_project(
        session, alice, kind="lorebooks", name="Vell Lore", entries=[entry]
    )
    return alice


def structured(result: Any) -> dict[str, Any]:
    assert result.is_error is False, result.content
    content: dict[str, Any] = result.structured_content
    return content


class TestTools:
    async def test_lists_every_tool_with_schemas(self, connect: Connect) -> None:
        async with connect(None) as client:
            listed = await client.list_tools()

        assert {tool.name for tool in listed.tools} == TOOLS
        assert all(tool.input_schema["type"] == "object" for tool in listed.tools)
        assert all(tool.output_schema for tool in listed.tools)

    async def test_search_anonymous_sees_public_only(
        self, connect: Connect, alice: Caller
    ) -> None:
        async with connect(None) as client:
            anonymous = structured(await client.call_tool("search_projects", {}))
        async with connect(alice.key) as client:
            own = structured(
                await client.call_tool("search_projects", {"tags": ["boats"]})
            )

        assert [p["path"] for p in anonymous["projects"]] == ["alice/mira"]
        assert own["projects"][0]["chat_model"] == "character/alice/mira"

    async def test_get_character_and_lorebook_with_definitions(
        self, connect: Connect, alice: Caller
    ) -> None:
        async with connect(alice.key) as client:
            character = structured(
                await client.call_tool("get_character", {"path": "alice/mira"})
            )
            book = structured(
                await client.call_tool(
                    "get_lorebook", {"path": "lorebooks/alice/vell-lore"}
                )
            )
            hidden = structured(
                await client.call_tool("get_character", {"path": "alice/hidden"})
            )

        assert character["definition"]["data"]["description"] == "A ferry pilot."
        assert book["kind"] == "lorebooks"
        assert hidden["name"] == "Hidden"

    async def test_missing_or_private_project_is_a_tool_error(
        self, connect: Connect, alice: Caller
    ) -> None:
        async with connect(None) as client:
            result = await client.call_tool("get_character", {"path": "alice/hidden"})

        assert result.is_error is True
        assert "404" in result.content[0].text  # type: ignore[union-attr]

    async def test_query_lore(self, connect: Connect, alice: Caller) -> None:
        async with connect(None) as client:
            found = structured(
                await client.call_tool(
                    "query_lore",
                    {
                        "query": "why is the lantern green",
                        "paths": ["lorebooks/alice/vell-lore"],
                    },
                )
            )

        assert found["results"][0]["content"] == "The lantern burns green."

    async def test_infer_emotion_needs_a_key(
        self, connect: Connect, alice: Caller
    ) -> None:
        async with connect(None) as client:
            anonymous = await client.call_tool("infer_emotion", {"text": "Hi"})
        async with connect(alice.key) as client:
            found = structured(
                await client.call_tool(
                    "infer_emotion", {"text": "Thank you so much, this is wonderful!"}
                )
            )

        assert anonymous.is_error is True
        assert "401" in anonymous.content[0].text  # type: ignore[union-attr]
        assert found["emotion"] in {"gratitude", "admiration", "joy", "excitement"}
        assert len(found["scores"]) == 28

    async def test_list_tags(self, connect: Connect, alice: Caller) -> None:
        async with connect(None) as client:
            tags = structured(await client.call_tool("list_tags", {}))

        assert isinstance(tags["tags"], list)
        assert tags["total"] == len(tags["tags"])

    async def test_image_generation_started_then_fetched(
        self, connect: Connect, alice: Caller, session: AsyncSession
    ) -> None:
        async with connect(alice.key) as client:
            started = structured(
                await client.call_tool(
                    "start_image_generation", {"prompt": "a ferry at dusk"}
                )
            )
            job = (await session.execute(_job(started["uuid"]))).scalar_one()
            job.status, job.media_keys = JobStatus.SUCCEEDED, ["imagine/x/0.png"]
            await session.commit()
            fetched = structured(
                await client.call_tool(
                    "get_image_generation", {"uuid": started["uuid"]}
                )
            )

        assert started["status"] == "queued"
        assert fetched["is_done"] is True
        assert fetched["image_urls"][0].endswith("/media/imagine/x/0.png")

    async def test_image_generation_refused_while_redis_is_down(
        self, connect: Connect, live: Live, alice: Caller, session: AsyncSession
    ) -> None:
        working = live.app.state.redis
        # Nothing listens on the discard port: every command fails at once.
        live.app.state.redis = aioredis.from_url(
            "redis://127.0.0.1:9/0", socket_connect_timeout=1
        )
        try:
            async with connect(alice.key) as client:
                refused = await client.call_tool(
                    "start_image_generation", {"prompt": "a ferry at dusk"}
                )
        finally:
            await live.app.state.redis.aclose()
            live.app.state.redis = working

        jobs = (await session.execute(select(func.count(ImagineJob.id)))).scalar_one()
        await session.refresh(alice.user)
        assert refused.is_error is True
        assert "unavailable" in refused.content[0].text  # type: ignore[union-attr]
        assert jobs == 0
        assert alice.user.credits == 100


def _job(uuid: str) -> Any:
    return select(ImagineJob).where(ImagineJob.uuid == uuid)


class TestResourcesAndAuth:
    async def test_reads_a_character_resource(
        self, connect: Connect, alice: Caller
    ) -> None:
        async with connect(None) as client:
            templates = await client.list_resource_templates()
            read = await client.read_resource("rostro://characters/alice/mira")

        body = json.loads(read.contents[0].text)  # type: ignore[union-attr]
        assert {t.uri_template for t in templates.resource_templates} == {
            "rostro://characters/{creator}/{slug}",
            "rostro://lorebooks/{creator}/{slug}",
        }
        assert body["definition"]["data"]["name"] == "Mira"

    async def test_unknown_key_is_401(self, live: Live) -> None:
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{live.url}/mcp",
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers={"Authorization": "Bearer rst_nope"},
            )

        assert response.status_code == 401


class TestRequiredKey:
    async def test_no_key_is_401_when_the_server_requires_one(
        self, settings: Settings, engine: AsyncEngine, session: AsyncSession
    ) -> None:
        strict = settings.model_copy(update={"mcp_require_key": True})
        request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}

        async with (
            serve_app(strict, engine, session) as served,
            httpx.AsyncClient() as http,
        ):
            response = await http.post(f"{served.url}/mcp", json=request)

        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
