"""Redis URLs in the two spellings our clients want, and the async client."""

import asyncio

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from app.config import Settings


def redis_py_url(url: str) -> str:
    """The URL redis-py understands (``unix://`` for a socket)."""
    if url.startswith("redis+socket://"):
        return "unix://" + url[len("redis+socket://") :]
    return url


def celery_url(url: str) -> str:
    """The URL kombu understands (``redis+socket://`` for a socket)."""
    if url.startswith("unix://"):
        return "redis+socket://" + url[len("unix://") :]
    return url


def configured_redis_url(settings: Settings) -> str:
    if settings.redis_url is None:
        raise RuntimeError(
            "No Redis configured: set ROSTRO_REDIS_URL or start the service with "
            "`rostro serve`, which runs an embedded Redis."
        )
    return settings.redis_url


def create_redis(settings: Settings) -> "aioredis.Redis":
    url = redis_py_url(configured_redis_url(settings))
    return aioredis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


PING_SECONDS = 2.0


async def answers(client: "aioredis.Redis") -> bool:
    """Whether Redis answers a PING in time."""
    try:
        return bool(await asyncio.wait_for(client.ping(), PING_SECONDS))
    except (RedisError, OSError):
        return False


WORKER_HEARTBEAT_PREFIX = "rostro:worker:"
