"""Embedding passages in batches: the worker's job, reindexing and the
query-time catch-up.

Each batch is one transaction that writes its vectors and makes ready the
items it completed, so an item becomes visible with its last vector and never
before; a text larger than a batch stays pending until its last batch.
"""

from collections.abc import Callable, Sequence

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.lore import repository
from app.lore.embedder import Embedder, embed_documents
from app.lore.repository import PassageToEmbed
from app.lore.sources import entry_header

log = structlog.get_logger(__name__)

Progress = Callable[[int], None]


def embedding_text(passage: PassageToEmbed) -> str:
    """What the model reads for a stored passage (as when it was drafted)."""
    if passage.kind != "entry":
        return passage.content
    header = entry_header(passage.name, passage.keys, passage.use_regex)
    return f"{header}\n{passage.content}" if header else passage.content


async def embed_batch(
    session: AsyncSession,
    embedder: Embedder,
    owner_ids: Sequence[int] | None,
    limit: int,
) -> int:
    """Embed up to `limit` passages that lack a vector of the model; 0 when
    nothing is left."""
    passages = await repository.passages_to_embed(
        session, owner_ids, embedder.name, limit
    )
    if not passages:
        # Two jobs that wrote an item's last batches at once each missed the
        # other's vectors; whichever comes here last sees both.
        await repository.finish_pending(session, owner_ids, embedder.name)
        return 0
    vectors = await embed_documents(embedder, [embedding_text(p) for p in passages])
    await repository.store_vectors(
        session, [p.id for p in passages], vectors, embedder.name
    )
    item_ids = list(dict.fromkeys(p.item_id for p in passages))
    await repository.finish_items(session, item_ids, embedder.name)
    return len(passages)


async def embed_all(
    sessions: async_sessionmaker[AsyncSession],
    embedder: Embedder,
    owner_ids: Sequence[int] | None,
    batch_size: int,
    progress: Progress | None = None,
) -> int:
    """Embed every passage in scope, one committed batch at a time; pending
    items are marked failed, with the reason, when embedding fails."""
    done = 0
    try:
        while True:
            async with sessions() as session, session.begin():
                count = await embed_batch(session, embedder, owner_ids, batch_size)
            if count == 0:
                return done
            done += count
            if progress is not None:
                progress(count)
    except Exception as error:
        log.error("lore.embedding_failed", owner_ids=owner_ids, exc_info=error)
        async with sessions() as session, session.begin():
            await repository.fail_items(session, owner_ids, _reason(error))
        raise


async def resume(
    sessions: async_sessionmaker[AsyncSession],
    load: Callable[[], Embedder],
    batch_size: int,
) -> int:
    """Embed what pending items lack, whichever job was meant to: the message
    of a worker killed mid-item comes back only after the broker's visibility
    timeout, and one that could not be sent never does. Embedding twice is
    harmless: each job takes the passages no other one holds. The model is
    loaded only when something is pending."""
    async with sessions() as session:
        owners = await repository.pending_owners(session)
    if not owners:
        return 0
    embedder = load()
    done = 0
    for owner_id in owners:
        try:
            done += await embed_all(sessions, embedder, [owner_id], batch_size)
        except Exception:
            # Logged, and that owner's items failed; the others go on.
            continue
    return done


def _reason(error: Exception) -> str:
    return f"Embedding failed: {type(error).__name__}: {error}"[:500]


async def catch_up(
    session: AsyncSession, embedder: Embedder, owner_ids: Sequence[int], limit: int
) -> None:
    """Embed the owners' pending passages now when there are at most `limit`
    (a card imported in bulk, or with the worker down), before a query."""
    waiting = await repository.pending_passages(session, owner_ids)
    if 0 < waiting <= limit:
        await embed_batch(session, embedder, owner_ids, limit)
        log.info("lore.caught_up", passages=waiting)
