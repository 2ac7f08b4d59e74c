"""Putting jobs on the Celery queue from the API. Messages carry job ids only."""

import asyncio
from typing import Protocol

import structlog
from celery import Celery
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from app.imagine.errors import QueueUnavailable
from app.kit.redis import celery_url

log = structlog.get_logger(__name__)

TASK_RUN_JOB = "imagine.run_job"


class JobQueue(Protocol):
    async def enqueue(self, job_id: int) -> None:
        """Queue the job; QueueUnavailable when the broker cannot take it."""
        ...


class CeleryJobQueue:
    """A producer-only Celery app on the same broker as the workers."""

    def __init__(self, redis_url: str) -> None:
        self.celery = Celery("rostro-api", broker=celery_url(redis_url))
        self.celery.conf.update(
            task_serializer="json",
            broker_connection_retry=False,
            # No retries: with Redis down the request answers 503 at once
            # instead of hanging while kombu reconnects.
            broker_transport_options={"max_retries": 0},
        )

    async def enqueue(self, job_id: int) -> None:
        try:
            await asyncio.to_thread(self._send, job_id)
        except (KombuError, RedisError, OSError) as error:
            log.warning("imagine.enqueue_failed", job_id=job_id, error=str(error))
            raise QueueUnavailable() from None
        log.info("imagine.job_queued", job_id=job_id)

    def _send(self, job_id: int) -> None:
        self.celery.send_task(TASK_RUN_JOB, args=[job_id], retry=False)
