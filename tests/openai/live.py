"""The app served by uvicorn on a loopback port, inside the test's event loop.

Real HTTP for real clients (the `openai` SDK, the MCP client), while every
database session of the app works inside the test's rolled-back transaction.
"""

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.redis import create_redis
from app.main import create_app
from app.mcp.server import running_mcp
from app.openai.dependencies import close_llm_backend


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Live:
    app: FastAPI
    url: str


@asynccontextmanager
async def serve_app(
    settings: Settings,
    engine: AsyncEngine,
    session: AsyncSession,
    prepare: Callable[[FastAPI], None] | None = None,
) -> AsyncIterator[Live]:
    """The app on a free port; its sessions join the test's transaction.
    ``prepare`` may put fakes into the app's state first."""
    app = create_app(settings)
    if prepare is not None:
        prepare(app)
    app.state.engine = engine
    app.state.sessionmaker = async_sessionmaker(
        bind=session.bind,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )
    app.state.redis = create_redis(settings)
    # What the tests wrote is visible to the app's own sessions from here on.
    await session.commit()
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_config=None,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "the app did not start"
            await asyncio.sleep(0.01)
        async with _mcp(app):
            yield Live(app, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await task
        await close_llm_backend(app)
        await app.state.redis.aclose()


@asynccontextmanager
async def _mcp(app: FastAPI) -> AsyncIterator[None]:
    # In a task of its own: a fixture's set-up and tear-down may run in two
    # tasks, and the MCP task group must end in the task that began it.
    started, stop = asyncio.Event(), asyncio.Event()

    async def run() -> None:
        async with running_mcp(app):
            started.set()
            await stop.wait()

    task = asyncio.create_task(run())
    await started.wait()
    try:
        yield
    finally:
        stop.set()
        await task


@contextmanager
def fake_upstream(**env: str) -> Iterator[str]:
    """tests/openai/fake_upstream.py as a process of its own; its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "tests.openai.fake_upstream:app",
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        ],
        env={**os.environ, **env},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the fake upstream exited"
        try:
            if httpx.get(f"{url}/v1/models", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the fake upstream did not start")
