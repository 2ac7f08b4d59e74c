"""Embedding lore passages in the worker: a thin shim over app.lore.indexing."""

import asyncio
from typing import Any

import structlog

from app.config import get_settings
from app.db import create_engine, create_sessionmaker
from app.lore import indexing
from app.lore.embedder import Embedder, load_embedder
from app.lore.queue import EMBED_TASK
from workers.celery_app import celery_app

log = structlog.get_logger(__name__)

_embedder: Embedder | None = None


def _model() -> Embedder:
    # Loaded on the first job, in the forked worker process, never at import.
    global _embedder
    if _embedder is None:
        _embedder = load_embedder(get_settings())
    return _embedder


async def _embed_owner(owner_id: int) -> int:
    settings = get_settings()
    engine = create_engine(settings, pooled=False)
    try:
        return await indexing.embed_all(
            create_sessionmaker(engine),
            _model(),
            [owner_id],
            settings.lore_batch_passages,
        )
    finally:
        await engine.dispose()


@celery_app.task(name=EMBED_TASK, bind=True)  # type: ignore[untyped-decorator]
def embed_owner(self: Any, owner_id: int) -> None:
    structlog.contextvars.bind_contextvars(task_id=self.request.id)
    count = asyncio.run(_embed_owner(owner_id))
    log.info("lore.owner_embedded", owner_id=owner_id, passages=count)
