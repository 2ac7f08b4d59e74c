"""End to end: the API, a real Celery worker process, Redis, PostgreSQL and a
loopback server speaking each back end's API."""

import asyncio
import base64
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from starlette.applications import Starlette

from app.accounts import service as accounts
from app.config import Settings
from app.db import create_sessionmaker
from app.kit.redis import WORKER_HEARTBEAT_PREFIX, redis_py_url
from app.main import create_app
from app.models import ImagineJob, User
from tests.imagine.fakes import (
    Behaviour,
    FakeServer,
    automatic1111_app,
    comfyui_app,
    openai_app,
    png,
)

WORKER_START_SECONDS = 90
APPS = {
    "automatic1111": automatic1111_app,
    "comfyui": comfyui_app,
    "openai": openai_app,
}


@dataclass
class Stack:
    """A fake image server and the settings shared by the API and its worker."""

    behaviour: Behaviour
    server: FakeServer
    settings: Settings

    def restart_server(self, app: Starlette) -> None:
        self.server.stop()
        self.server = FakeServer(app, port=self.server.port).start()


def _worker_env(settings: Settings) -> dict[str, str]:
    assert settings.database_url is not None
    assert settings.redis_url is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRO_")}
    env.update(
        ROSTRO_DATABASE_URL=settings.database_url.get_secret_value(),
        ROSTRO_REDIS_URL=settings.redis_url,
        ROSTRO_DATA_DIR=str(settings.data_dir),
        ROSTRO_LOG_LEVEL="WARNING",
    )
    for name in (
        "backend",
        "url",
        "request_timeout_seconds",
        "retries",
        "lease_seconds",
        "reap_seconds",
        "max_attempts",
    ):
        value = getattr(settings, f"imagine_{name}")
        env[f"ROSTRO_IMAGINE_{name.upper()}"] = str(value)
    if settings.imagine_api_key is not None:
        env["ROSTRO_IMAGINE_API_KEY"] = settings.imagine_api_key.get_secret_value()
    return env


class Worker:
    """``celery worker`` with its beat, in a process group of its own."""

    def __init__(self, settings: Settings) -> None:
        self.name = f"imagine-{uuid.uuid4().hex[:8]}"
        self.settings = settings
        command = [
            sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker",
            "--concurrency", "1", "--loglevel", "WARNING", "--beat",
            "--hostname", f"{self.name}@%h",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, env=_worker_env(settings), start_new_session=True
        )

    def wait_ready(self) -> "Worker":
        assert self.settings.redis_url is not None
        client = redis.Redis.from_url(redis_py_url(self.settings.redis_url))
        key = f"{WORKER_HEARTBEAT_PREFIX}{self.name}@{socket.gethostname()}"
        deadline = time.monotonic() + WORKER_START_SECONDS
        while not client.exists(key):
            assert self.process.poll() is None, "the worker exited"
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.2)
        client.close()
        return self

    def kill(self) -> None:
        """SIGKILL the worker and its pool: a machine losing power."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def _stack_settings(
    settings: Settings, name: str, url: str, data_dir: Path, **extra: Any
) -> Settings:
    return settings.model_copy(
        update={
            "imagine_backend": name,
            "imagine_url": url,
            "imagine_api_key": None,
            "imagine_request_timeout_seconds": 1.0,
            "imagine_retries": 0,
            "imagine_wait_seconds": 20.0,
            "imagine_lease_seconds": 2.0,
            "imagine_reap_seconds": 1.0,
            "imagine_max_attempts": 2,
            "data_dir": data_dir,
            **extra,
        }
    )


@pytest.fixture(scope="class", params=sorted(APPS))
def stack(
    request: pytest.FixtureRequest,
    settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    name: str = request.param
    behaviour = Behaviour(api_key="sk-local" if name == "openai" else None)
    server = FakeServer(APPS[name](behaviour)).start()
    stack_settings = _stack_settings(
        settings, name, server.url, tmp_path_factory.mktemp("imagine")
    )
    if name == "openai":
        key = SecretStr("sk-local")
        stack_settings = stack_settings.model_copy(update={"imagine_api_key": key})
    worker = Worker(stack_settings).wait_ready()
    stack = Stack(behaviour, server, stack_settings)
    yield stack
    worker.stop()
    stack.server.stop()


@dataclass
class Account:
    user_id: int
    headers: dict[str, str]


async def _account(settings: Settings, credits: int = 100) -> Account:
    """A committed user: the worker sees only committed rows."""
    assert settings.database_url is not None
    engine = create_async_engine(
        settings.database_url.get_secret_value(), poolclass=NullPool
    )
    async with create_sessionmaker(engine).begin() as session:
        new = await accounts.create_user(
            session, f"imagine{uuid.uuid4().hex[:8]}", credits=credits
        )
    await engine.dispose()
    return Account(new.user.id, {"CH-API-KEY": new.api_key})


async def _drop_account(settings: Settings, account: Account) -> None:
    assert settings.database_url is not None
    engine = create_async_engine(
        settings.database_url.get_secret_value(), poolclass=NullPool
    )
    async with engine.begin() as connection:
        await connection.execute(delete(User).where(User.id == account.user_id))
    await engine.dispose()


async def _credits(settings: Settings, account: Account) -> int:
    assert settings.database_url is not None
    engine = create_async_engine(
        settings.database_url.get_secret_value(), poolclass=NullPool
    )
    async with engine.connect() as connection:
        stmt = select(User.credits).where(User.id == account.user_id)
        value = (await connection.execute(stmt)).scalar_one()
    await engine.dispose()
    return int(value)


@pytest.fixture
async def account(stack: Stack) -> AsyncIterator[Account]:
    account = await _account(stack.settings)
    yield account
    await _drop_account(stack.settings, account)


@contextlib.asynccontextmanager
async def _running_api(settings: Settings) -> AsyncIterator[AsyncClient]:
    """The API as `rostro serve` runs it: its own engine, Redis and reaper."""
    app = create_app(settings)
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold_lifespan() -> None:
        # Entered and left in one task: the lifespan may hold task groups,
        # whose scopes cannot cross from a fixture's set-up to its teardown.
        async with app.router.lifespan_context(app):
            started.set()
            await stop.wait()

    holder = asyncio.create_task(hold_lifespan())
    await asyncio.wait(
        [holder, asyncio.create_task(started.wait())],
        return_when=asyncio.FIRST_COMPLETED,
    )
    assert started.is_set(), holder.exception()
    try:
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
    finally:
        stop.set()
        await holder


@pytest.fixture
async def api(stack: Stack) -> AsyncIterator[AsyncClient]:
    async with _running_api(stack.settings) as client:
        yield client


async def _imagine(
    api: AsyncClient, account: Account, immediate: bool = False, **body: Any
) -> Any:
    body.setdefault("prompt", "a lighthouse in a storm")
    params = {"return_immediate": "true"} if immediate else {}
    response = await api.post(
        "/imagine", json=body, params=params, headers=account.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _until_done(api: AsyncClient, account: Account, item: Any) -> Any:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        url = f"/imagine/project/{item['uuid']}"
        item = (await api.get(url, headers=account.headers)).json()
        if item["is_done"]:
            return item
        await asyncio.sleep(0.1)
    raise AssertionError("the job did not end in time")


class TestThroughAWorker:
    async def test_images_reach_the_history_and_the_media_urls(
        self, stack: Stack, api: AsyncClient, account: Account
    ) -> None:
        stack.behaviour.mode = "ok"

        item = await _imagine(api, account, aspect_ratio="w3h4", num_images=2)

        history = await api.post("/imagine/history", json={}, headers=account.headers)
        media = await api.get(item["primary_media_url"].removeprefix("http://test"))
        assert item["is_done"] is True, item
        assert item["is_failed"] is False
        assert len(item["secondary_media_urls"]) == 1
        assert history.json()["items"][0]["uuid"] == item["uuid"]
        assert media.content.startswith(b"\x89PNG")
        assert await _credits(stack.settings, account) == 80

    async def test_img2img_with_a_mask(
        self, stack: Stack, api: AsyncClient, account: Account
    ) -> None:
        stack.behaviour.mode = "ok"
        image = base64.b64encode(png(48, 48)).decode()
        body = {
            "prompt": "a lighthouse in a storm",
            "generation_type": "image_to_image",
            "init_image": image,
            "mask_image": image,
        }

        response = await api.post("/imagine", json=body, headers=account.headers)

        if stack.settings.imagine_backend == "comfyui":
            # The built-in ComfyUI workflow is text to image only: a clear
            # rejection naming the type, never a fake image.
            assert response.status_code == 400
            assert response.json()["reason"] == "unknown"
            assert "image_to_image" in response.json()["detail"]
            return
        assert response.status_code == 200, response.text
        assert response.json()["generation_type"] == "inpainting"
        assert response.json()["is_failed"] is False, response.text

    @pytest.mark.parametrize(
        ("mode", "error"),
        [
            ("refuse", "refused"),
            ("slow", "in time"),
            ("malformed", "image"),
            ("broken", "HTTP 500"),
        ],
    )
    async def test_failures_fail_the_job_and_refund(
        self, stack: Stack, api: AsyncClient, account: Account, mode: str, error: str
    ) -> None:
        stack.behaviour.mode, stack.behaviour.delay = mode, 5.0

        item = await _imagine(api, account)

        stack.behaviour.mode = "ok"
        assert item["is_failed"] is True, item
        assert error in item["error"]
        assert await _credits(stack.settings, account) == 100

    async def test_server_down_fails_the_job_and_refunds(
        self, stack: Stack, api: AsyncClient, account: Account
    ) -> None:
        stack.server.stop()
        try:
            item = await _imagine(api, account)
        finally:
            name = stack.settings.imagine_backend
            assert name is not None
            stack.restart_server(APPS[name](stack.behaviour))

        assert item["is_failed"] is True, item
        assert "could not be reached" in item["error"]
        assert await _credits(stack.settings, account) == 100


async def _attempts(settings: Settings, item: Any) -> int:
    assert settings.database_url is not None
    url = settings.database_url.get_secret_value()
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as connection:
        stmt = select(ImagineJob.attempts).where(
            ImagineJob.uuid == uuid.UUID(item["uuid"])
        )
        value = (await connection.execute(stmt)).scalar_one()
    await engine.dispose()
    return int(value)


async def _until_running(api: AsyncClient, account: Account, item: Any) -> None:
    deadline = time.monotonic() + 30
    while item["status"] != "running":
        assert time.monotonic() < deadline, "the job did not start"
        await asyncio.sleep(0.1)
        url = f"/imagine/project/{item['uuid']}"
        item = (await api.get(url, headers=account.headers)).json()


@pytest.fixture
def slow_a1111(
    settings: Settings, tmp_path: Path
) -> Iterator[tuple[Behaviour, Settings]]:
    behaviour = Behaviour(mode="slow", delay=120.0)
    server = FakeServer(automatic1111_app(behaviour)).start()
    stack_settings = _stack_settings(
        settings,
        "automatic1111",
        server.url,
        tmp_path,
        imagine_request_timeout_seconds=120.0,
    )
    yield behaviour, stack_settings
    behaviour.mode = "ok"
    server.stop()


class TestWorkerDeath:
    async def test_a_killed_workers_job_is_done_by_another(
        self, slow_a1111: tuple[Behaviour, Settings]
    ) -> None:
        behaviour, settings = slow_a1111
        account = await _account(settings)
        first = Worker(settings).wait_ready()
        try:
            async with _running_api(settings) as api:
                item = await _imagine(api, account, immediate=True)
                await _until_running(api, account, item)
                first.kill()
                behaviour.mode = "ok"
                second = Worker(settings).wait_ready()
                try:
                    done = await _until_done(api, account, item)
                finally:
                    second.stop()
            attempts = await _attempts(settings, item)
            credits = await _credits(settings, account)
        finally:
            first.stop()
            await _drop_account(settings, account)

        assert done["is_failed"] is False, done
        assert done["primary_media_url"]
        assert attempts == 2
        assert credits == 90

    async def test_a_job_whose_workers_keep_dying_fails_with_a_refund(
        self, slow_a1111: tuple[Behaviour, Settings]
    ) -> None:
        behaviour, settings = slow_a1111
        settings = settings.model_copy(update={"imagine_max_attempts": 1})
        account = await _account(settings)
        worker = Worker(settings).wait_ready()
        try:
            async with _running_api(settings) as api:
                item = await _imagine(api, account, immediate=True)
                await _until_running(api, account, item)
                worker.kill()
                done = await _until_done(api, account, item)
            credits = await _credits(settings, account)
        finally:
            worker.stop()
            await _drop_account(settings, account)

        assert done["is_failed"] is True
        assert "stopped before it was done" in done["error"]
        assert credits == 100
