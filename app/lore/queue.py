"""Handing embedding work to the Celery worker, by task name.

The API does not import the worker's module (which reads the broker from the
process settings at import); it sends the task by name through a producer of
its own. The message carries the owner's id only: the items' status in
PostgreSQL is the truth, and the worker's sweep of pending items (see
``workers.lore``) finishes what a lost message left.
"""

import asyncio
import contextlib
from functools import lru_cache

import structlog
from celery import Celery
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from app.config import Settings
from app.kit.redis import celery_url, configured_redis_url
from app.lore.errors import EmbeddingQueueUnavailable

log = structlog.get_logger(__name__)

EMBED_TASK = "lore.embed_owner"


@lru_cache
def _producer(broker_url: str) -> Celery:
    producer = Celery(
        "rostro-lore", broker=celery_url(broker_url), set_as_current=False
    )
    # No retries: with the broker down the request hears of it at once
    # instead of hanging while kombu reconnects.
    producer.conf.update(
        broker_connection_retry=False,
        broker_transport_options={"max_retries": 0},
    )
    return producer


def _send(broker_url: str, owner_id: int) -> None:
    _producer(broker_url).send_task(EMBED_TASK, args=[owner_id], retry=False)


async def queue_embedding(settings: Settings, owner_id: int) -> None:
    """Ask the worker to embed an owner's pending passages;
    EmbeddingQueueUnavailable when the broker cannot take the message."""
    try:
        url = configured_redis_url(settings)
        await asyncio.to_thread(_send, url, owner_id)
    except (RuntimeError, KombuError, RedisError, OSError) as error:
        log.warning("lore.enqueue_failed", owner_id=owner_id, error=str(error))
        raise EmbeddingQueueUnavailable() from None
    log.info("lore.embedding_queued", owner_id=owner_id)


async def enqueue_embedding(settings: Settings, owner_id: int) -> None:
    """`queue_embedding` that never raises: with the broker down, the items
    wait for the worker's sweep, a query on them or `rostro lore reindex`."""
    with contextlib.suppress(EmbeddingQueueUnavailable):
        await queue_embedding(settings, owner_id)
