"""Embedding lore passages in the worker: a thin shim over app.lore.indexing."""

import asyncio
from typing import Any

import structlog
from celery.signals import worker_ready

from app.config import get_settings
from app.db import create_engine, create_sessionmaker
from app.lore import indexing
from app.lore.embedder import Embedder, load_embedder
from app.lore.queue import EMBED_TASK
from workers.celery_app import celery_app

log = structlog.get_logger(__name__)

RESUME_TASK = "lore.resume"
RESUME_SECONDS = 60.0

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


async def _resume() -> int:
    settings = get_settings()
    engine = create_engine(settings, pooled=False)
    try:
        return await indexing.resume(
            create_sessionmaker(engine), _model, settings.lore_batch_passages
        )
    finally:
        await engine.dispose()


@celery_app.task(name=RESUME_TASK)  # type: ignore[untyped-decorator]
def resume() -> None:
    count = asyncio.run(_resume())
    if count:
        log.info("lore.pending_resumed", passages=count)


@worker_ready.connect  # type: ignore[untyped-decorator]
def _resume_at_start(**_: Any) -> None:
    # A worker killed mid-item leaves it pending; the next one to start
    # finishes it rather than wait for the beat.
    resume.delay()


celery_app.conf.beat_schedule = {
    **(celery_app.conf.beat_schedule or {}),
    RESUME_TASK: {"task": RESUME_TASK, "schedule": RESUME_SECONDS},
}
