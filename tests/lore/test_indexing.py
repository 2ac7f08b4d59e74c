"""The embedding job against the database, without a worker."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cards import LorebookEntry
from app.config import Settings
from app.lore import indexing, repository, service
from app.lore.embedder import Vectors, load_embedder
from app.lore.schemas import LoreQuery
from app.lore.service import Upload
from app.models import LoreItem, LorePassage
from tests.factories import create_project, create_user

LONG_TEXT = "\n\n".join(
    f"Part {i}. The caravan crossed the salt flats on day {i}. " * 12 for i in range(6)
)


class SharedSessions:
    """A sessionmaker stand-in that hands out the test's own session, so that
    each batch commits a savepoint of the rolled-back test transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[AsyncSession]:
        await self.session.commit()
        yield self.session


class FailingEmbedder:
    name = "sentence-transformers/all-MiniLM-L6-v2"

    def embed_documents(self, texts: list[str]) -> Vectors:
        raise RuntimeError("out of memory")

    def embed_query(self, text: str) -> Vectors:
        raise RuntimeError("out of memory")


async def pending_upload(
    session: AsyncSession, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, LoreItem]:
    monkeypatch.setattr(settings, "lore_inline_passages", 0)
    alice = await create_user(session)
    book = await create_project(session, alice, kind="lorebooks")
    added = await service.add_items(
        session,
        settings,
        load_embedder(settings),
        alice.user,
        book.id,
        Upload(content=LONG_TEXT),
    )
    await session.flush()
    return book.id, added.items[0]


async def statuses(session: AsyncSession, owner_id: int) -> list[str]:
    stmt = select(LoreItem.status).where(LoreItem.owner_id == owner_id)
    return list((await session.scalars(stmt)).all())


class TestEmbedJob:
    async def test_pending_item_becomes_ready(
        self,
        session: AsyncSession,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        owner, item = await pending_upload(session, settings, monkeypatch)
        sessions: Any = SharedSessions(session)

        done = await indexing.embed_all(
            sessions, load_embedder(settings), [owner], batch_size=2
        )

        assert done == item.n_passages > 2
        assert await statuses(session, owner) == ["ready"]
        models = await session.scalars(
            select(LorePassage.model).where(LorePassage.item_id == item.id)
        )
        assert set(models) == {"sentence-transformers/all-MiniLM-L6-v2"}

    async def test_half_embedded_item_stays_invisible(
        self,
        session: AsyncSession,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        owner, _ = await pending_upload(session, settings, monkeypatch)
        embedder = load_embedder(settings)

        await indexing.embed_batch(session, embedder, [owner], limit=2)
        found = await service.search(
            session,
            settings,
            embedder,
            None,
            LoreQuery(owner_ids=[owner], query="salt flats caravan"),
        )

        assert await statuses(session, owner) == ["pending"]
        assert found == []

    async def test_failure_marks_items_failed_with_the_reason(
        self,
        session: AsyncSession,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        owner, item = await pending_upload(session, settings, monkeypatch)
        sessions: Any = SharedSessions(session)

        with pytest.raises(RuntimeError):
            await indexing.embed_all(sessions, FailingEmbedder(), [owner], 8)

        await session.refresh(item)
        assert item.status == "failed"
        assert item.error is not None
        assert "out of memory" in item.error

    async def test_query_catches_up_small_pending_sets(
        self,
        session: AsyncSession,
        settings: Settings,
    ) -> None:
        alice = await create_user(session)
        book = await create_project(
            session,
            alice,
            kind="lorebooks",
            entries=[LorebookEntry(keys=["salt"], content="Salt is money here.")],
        )
        assert await statuses(session, book.id) == ["pending"]

        found = await service.search(
            session,
            settings,
            load_embedder(settings),
            None,
            LoreQuery(owner_ids=[book.id], query="currency"),
        )

        assert await statuses(session, book.id) == ["ready"]
        assert found[0].content == "Salt is money here."


class TestResume:
    async def test_a_half_embedded_item_is_finished(
        self,
        session: AsyncSession,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        owner, item = await pending_upload(session, settings, monkeypatch)
        embedder = load_embedder(settings)
        await indexing.embed_batch(session, embedder, [owner], limit=2)
        sessions: Any = SharedSessions(session)

        done = await indexing.resume(sessions, lambda: embedder, batch_size=4)

        assert done >= item.n_passages - 2
        assert await statuses(session, owner) == ["ready"]

    async def test_items_whose_vectors_are_all_written_are_made_ready(
        self,
        session: AsyncSession,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        owner, item = await pending_upload(session, settings, monkeypatch)
        embedder = load_embedder(settings)
        # What two jobs leave when each wrote an item's last batches unaware
        # of the other's: every vector, and the item still pending.
        ids = list(
            await session.scalars(
                select(LorePassage.id).where(LorePassage.item_id == item.id)
            )
        )
        vectors = embedder.embed_documents(["x"] * len(ids))
        await repository.store_vectors(session, ids, vectors, embedder.name)

        done = await indexing.embed_batch(session, embedder, [owner], limit=8)

        assert done == 0
        assert await statuses(session, owner) == ["ready"]
