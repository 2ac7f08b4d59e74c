"""One large upload embedded by a real Celery worker process.

The worker cannot see the rolled-back transaction of the other tests, so this
test commits its data for real and deletes it at the end.
"""

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db import create_sessionmaker
from app.lore import service
from app.lore.embedder import load_embedder
from app.lore.queue import enqueue_embedding
from app.lore.service import Upload
from app.models import LoreItem, User
from tests.factories import create_project, create_user
from tests.lore.test_indexing import LONG_TEXT

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 90


@pytest.fixture
def worker(settings: Settings, tmp_path: Path) -> Iterator[None]:
    assert settings.database_url is not None
    assert settings.redis_url is not None
    env = {
        **os.environ,
        "ROSTRO_DATABASE_URL": settings.database_url.get_secret_value(),
        "ROSTRO_REDIS_URL": settings.redis_url,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker",
        "--pool", "solo", "--loglevel", "WARNING", "--hostname", "lore-test@%h",
    ]  # fmt: skip
    with (tmp_path / "worker.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        yield
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
async def committed_owner(
    engine: AsyncEngine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[int]:
    monkeypatch.setattr(settings, "lore_inline_passages", 0)
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")
        await service.add_items(
            session,
            settings,
            load_embedder(settings),
            alice.user,
            book.id,
            Upload(content=LONG_TEXT),
        )
        user_id, owner_id = alice.user.id, book.id
    yield owner_id
    async with sessions() as session, session.begin():
        await session.execute(delete(User).where(User.id == user_id))


async def test_worker_embeds_a_large_upload(
    worker: None, committed_owner: int, engine: AsyncEngine, settings: Settings
) -> None:
    sessions = create_sessionmaker(engine)

    await enqueue_embedding(settings, committed_owner)
    status = "pending"
    deadline = time.monotonic() + WAIT_SECONDS
    while status == "pending" and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        async with sessions() as session:
            status = (
                await session.scalar(
                    select(LoreItem.status).where(LoreItem.owner_id == committed_owner)
                )
                or "missing"
            )

    assert status == "ready"
