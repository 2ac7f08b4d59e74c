"""A worker SIGKILLed while it embeds a large lore item: the next worker to
start finishes the item, and every passage is there once."""

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.accounts import service as accounts
from app.config import Settings
from app.db import create_sessionmaker, run_after_commit
from app.lore import service as lore
from app.lore.embedder import DEFAULT_MODEL_NAME, Vectors
from app.lore.service import Upload
from app.migrate import upgrade_to_head
from app.models import LoreItem, LorePassage
from tests.factories import create_project
from tests.faults.servers import RedisServer, Rostro, environment, wait_until

BATCH_PASSAGES = 8
# Enough passages that the first worker is still embedding when it dies.
PARAGRAPHS = 40


def long_text() -> str:
    return "\n\n".join(
        " ".join(
            f"In year {p} the harbour of Vell kept record {s} of ship {p * 10 + s}, "
            f"which brought amber and salt to the lighthouse on the northern cape."
            for s in range(6)
        )
        for p in range(PARAGRAPHS)
    )


class WorkerOnly:
    """Stands in for the model in the test process: a large upload is
    embedded by the worker, never here."""

    name = DEFAULT_MODEL_NAME

    def embed_documents(self, texts: list[str]) -> Vectors:
        raise AssertionError("embedded in the test process")

    def embed_query(self, text: str) -> Vectors:
        raise AssertionError("embedded in the test process")


@dataclass
class Progress:
    status: str
    n_passages: int
    passages: int
    ordinals: int
    embedded: int


async def _add_large_item(settings: Settings) -> int:
    """A committed user, lorebook and pending upload; the item's id."""
    assert settings.database_url is not None
    engine = create_async_engine(
        settings.database_url.get_secret_value(), poolclass=NullPool
    )
    async with create_sessionmaker(engine)() as session:
        async with session.begin():
            alice = await accounts.create_user(session, "alice")
            book = await create_project(session, alice.user, kind="lorebooks")
            added = await lore.add_items(
                session,
                settings,
                WorkerOnly(),
                alice.user,
                book.id,
                Upload(content=long_text()),
            )
        # Queues the embedding job, as the API does after its commit.
        await run_after_commit(session)
    await engine.dispose()
    return added.items[0].id


async def _progress(database_url: str, item_id: int) -> Progress:
    engine = create_async_engine(database_url, poolclass=NullPool)
    async with engine.connect() as connection:
        item = (
            await connection.execute(
                select(LoreItem.status, LoreItem.n_passages).where(
                    LoreItem.id == item_id
                )
            )
        ).one()
        counts = (
            await connection.execute(
                select(
                    func.count(),
                    func.count(func.distinct(LorePassage.ordinal)),
                    func.count().filter(LorePassage.model == DEFAULT_MODEL_NAME),
                ).where(LorePassage.item_id == item_id)
            )
        ).one()
    await engine.dispose()
    return Progress(item.status, item.n_passages, *counts)


def progress(database_url: str, item_id: int) -> Progress:
    return asyncio.run(_progress(database_url, item_id))


@pytest.fixture
def lore_settings(
    own_database: str, own_redis: RedisServer, tmp_path: Path
) -> Settings:
    upgrade_to_head(own_database)
    return Settings(
        database_url=own_database,
        redis_url=own_redis.url,
        data_dir=tmp_path / "data",
        lore_inline_passages=0,
        lore_batch_passages=BATCH_PASSAGES,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def worker_env(lore_settings: Settings) -> dict[str, str]:
    assert lore_settings.database_url is not None
    assert lore_settings.redis_url is not None
    return environment(
        ROSTRO_DATABASE_URL=lore_settings.database_url.get_secret_value(),
        ROSTRO_REDIS_URL=lore_settings.redis_url,
        ROSTRO_DATA_DIR=str(lore_settings.data_dir),
        ROSTRO_LORE_BATCH_PASSAGES=str(BATCH_PASSAGES),
        ROSTRO_WORKER_CONCURRENCY="1",
    )


class TestLoreWorkerKilled:
    def test_the_next_worker_finishes_the_item_without_duplicates(
        self, lore_settings: Settings, worker_env: dict[str, str]
    ) -> None:
        url = worker_env["ROSTRO_DATABASE_URL"]
        item_id = asyncio.run(_add_large_item(lore_settings))
        first = Rostro(worker_env, "worker")
        second: Rostro | None = None
        try:
            wait_until(
                lambda: progress(url, item_id).embedded > 0, 90, "nothing embedded"
            )
            first.kill()
            at_kill = progress(url, item_id)
            second = Rostro(worker_env, "worker")
            done = wait_until(
                lambda: (p := progress(url, item_id)).status == "ready" and p,
                90,
                "the item was not finished",
            )
        finally:
            first.kill()
            if second is not None:
                second.stop()

        assert at_kill.status == "pending"
        assert 0 < at_kill.embedded < at_kill.n_passages
        assert done.n_passages > 4 * BATCH_PASSAGES
        assert done.passages == done.ordinals == done.n_passages
        assert done.embedded == done.n_passages
