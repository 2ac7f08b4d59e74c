"""Handing embedding work to the Celery worker, by task name.

The API does not import the worker's module (which reads the broker from the
process settings at import); it sends the task by name through a producer of
its own. The message carries the owner's id only: the items' status in
PostgreSQL is the truth.
"""

import asyncio
from functools import lru_cache

import structlog
from celery import Celery
from kombu.exceptions import OperationalError

from app.config import Settings
from app.kit.redis import celery_url, configured_redis_url

log = structlog.get_logger(__name__)

EMBED_TASK = "lore.embed_owner"


@lru_cache
def _producer(broker_url: str) -> Celery:
    return Celery("rostro-lore", broker=celery_url(broker_url), set_as_current=False)


def _send(broker_url: str, owner_id: int) -> None:
    # No retries: with the broker down, the items wait for the next query on
    # them or for `rostro lore reindex` rather than hold the request.
    _producer(broker_url).send_task(EMBED_TASK, args=[owner_id], retry=False)


async def enqueue_embedding(settings: Settings, owner_id: int) -> None:
    """Ask the worker to embed an owner's pending passages; never raises."""
    try:
        url = configured_redis_url(settings)
        await asyncio.to_thread(_send, url, owner_id)
    except (RuntimeError, OperationalError, OSError) as error:
        log.warning("lore.enqueue_failed", owner_id=owner_id, error=str(error))
        return
    log.info("lore.embedding_queued", owner_id=owner_id)
