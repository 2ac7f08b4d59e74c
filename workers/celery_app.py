"""The Celery application. Job state lives in PostgreSQL; messages carry ids."""

import json
import socket
import threading
from typing import Any

import redis
import structlog
from celery import Celery
from celery.signals import setup_logging, worker_ready, worker_shutdown

from app.config import get_settings
from app.kit.redis import (
    WORKER_HEARTBEAT_PREFIX,
    celery_url,
    configured_redis_url,
    redis_py_url,
)
from app.logging import configure_logging

log = structlog.get_logger(__name__)

HEARTBEAT_SECONDS = 10

settings = get_settings()
celery_app = Celery(
    "rostro",
    broker=celery_url(configured_redis_url(settings)),
    include=["workers.lore", "workers.search", "workers.imagine", "workers.social"],
)
celery_app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    # A job is acknowledged once done, so that a killed worker's job is redelivered.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    broker_transport_options={"visibility_timeout": 3600},
    worker_hijack_root_logger=False,
    # The beat schedule lives in memory: `rostro serve` runs one beat, inside
    # its worker; a separate beat service does in the production stack.
    beat_scheduler="celery.beat:Scheduler",
    beat_schedule_filename="",
)


@setup_logging.connect  # type: ignore[untyped-decorator]
def _setup_logging(**_: Any) -> None:
    configure_logging(get_settings())


class _Heartbeat:
    """Tells the API, through a Redis key with a time to live, that we are alive."""

    def __init__(self, hostname: str) -> None:
        self.key = WORKER_HEARTBEAT_PREFIX + hostname
        self.value = json.dumps({"hostname": hostname})
        self.client = redis.Redis.from_url(
            redis_py_url(configured_redis_url(get_settings()))
        )
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.client.set(self.key, self.value, ex=HEARTBEAT_SECONDS * 3)
            except redis.RedisError:
                log.warning("worker.heartbeat_failed")
            self.stopped.wait(HEARTBEAT_SECONDS)

    def stop(self) -> None:
        self.stopped.set()
        try:
            self.client.delete(self.key)
        except redis.RedisError:
            pass


_heartbeat: _Heartbeat | None = None


@worker_ready.connect  # type: ignore[untyped-decorator]
def _start_heartbeat(sender: Any = None, **_: Any) -> None:
    global _heartbeat
    hostname = getattr(sender, "hostname", None) or socket.gethostname()
    _heartbeat = _Heartbeat(hostname)
    _heartbeat.thread.start()
    log.info("worker.ready", hostname=hostname)


@worker_shutdown.connect  # type: ignore[untyped-decorator]
def _stop_heartbeat(**_: Any) -> None:
    if _heartbeat is not None:
        _heartbeat.stop()
