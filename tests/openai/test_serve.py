"""From outside the process: `rostro serve` with its embedded model, the `openai`
client chatting with a character and an MCP client calling tools."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from tests.openai.live import free_port
from tests.openai.test_local import CACHE

START_TIMEOUT = 120


def _rostro(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, "rostro serve exited during start-up"
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise AssertionError("rostro serve did not answer in time")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The base URL of a fresh `rostro serve` and the key of its user."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRO_")}
    env.update(
        ROSTRO_DATA_DIR=str(tmp_path / "data"),
        ROSTRO_PORT=str(free_port()),
        ROSTRO_LLM_LOCAL_CACHE_DIR=str(CACHE),
        ROSTRO_LLM_LOCAL_THREADS="1",
        ROSTRO_LOG_LEVEL="WARNING",
    )
    created = subprocess.run(
        _rostro("users", "create", "wren"), env=env, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    key = created.stdout.strip().splitlines()[-1]
    process = subprocess.Popen(_rostro("serve", "--no-worker"), env=env)
    url = f"http://127.0.0.1:{env['ROSTRO_PORT']}"
    try:
        _wait(url, process)
        yield url, key
    finally:
        process.terminate()
        process.wait(60)


class TestServedProcess:
    async def test_openai_and_mcp_clients_from_outside(
        self, served: tuple[str, str]
    ) -> None:
        url, key = served
        character = {"name": "Wren", "description": "{{char}} keeps a lighthouse."}
        headers = {"Authorization": f"Bearer {key}"}

        async with httpx.AsyncClient(headers=headers) as http:
            made = await http.post(f"{url}/api/core/characters", json=character)
        async with openai.AsyncOpenAI(
            base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=600
        ) as client:
            messages = [{"role": "user", "content": "Hello?"}]
            reply = await client.chat.completions.create(
                model="character/wren/wren",
                messages=messages,  # type: ignore[arg-type]
                max_tokens=3,
            )
            stream = await client.chat.completions.create(
                model="character/wren/wren",
                messages=messages,  # type: ignore[arg-type]
                max_tokens=3,
                stream=True,
            )
            streamed = [chunk async for chunk in stream]
        async with (
            create_mcp_http_client(headers=headers) as mcp_http,
            Client(streamable_http_client(f"{url}/mcp", http_client=mcp_http)) as mcp,
        ):
            tools = await mcp.list_tools()
            found = await mcp.call_tool("get_character", {"path": "wren/wren"})

        assert made.status_code == 200
        assert reply.choices[0].message.content
        assert streamed[-1].choices[0].finish_reason in ("length", "stop")
        assert len(tools.tools) == 8
        assert found.structured_content["name"] == "Wren"  # type: ignore[index]
