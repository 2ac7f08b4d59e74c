"""Rate limits per API key and per client address, counted in Redis.

Over a limit a request gets a 429 in the API's error shape with `Retry-After`.
If Redis cannot be reached the request goes through: limits protect the
service, and must not take it down with them.
"""

import hashlib
import json
import time

import structlog
from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import FixedWindowRateLimiter
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth.dependencies import key_from_headers
from app.config import Settings
from app.errors import error_body
from app.kit.redis import configured_redis_url, redis_py_url

log = structlog.get_logger(__name__)

EXEMPT_PATHS = ("/livez", "/healthz", "/metrics")


def limits_url(url: str) -> str:
    """The `limits` storage URI of a Redis URL (TCP or Unix socket)."""
    plain = redis_py_url(url)
    if plain.startswith("unix://"):
        return "async+redis+unix://" + plain[len("unix://") :]
    return "async+" + plain


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.url = limits_url(configured_redis_url(settings))
        self.per_key = parse_many(settings.rate_limit_per_key)
        self.per_address = parse_many(settings.rate_limit_per_address)
        self.limiter: FixedWindowRateLimiter | None = None

    def _limiter(self, scope: Scope) -> FixedWindowRateLimiter:
        # Built on first use, on the application's Redis connection pool, so
        # that closing the app's client closes these connections too.
        if self.limiter is None:
            pool = scope["app"].state.redis.connection_pool
            storage = RedisStorage(
                self.url, implementation="redispy", connection_pool=pool
            )
            self.limiter = FixedWindowRateLimiter(storage)
        return self.limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PATHS):
            await self.app(scope, receive, send)
            return

        identity, limits = self._identity(scope)
        retry_after = await self._over_limit(self._limiter(scope), limits, identity)
        if retry_after is None:
            await self.app(scope, receive, send)
            return
        await _too_many(send, retry_after)

    def _identity(self, scope: Scope) -> tuple[str, list[RateLimitItem]]:
        key = key_from_headers(Headers(scope=scope))
        if key is not None:
            # The key itself is never stored: a digest identifies it.
            return "key:" + hashlib.sha256(key.encode()).hexdigest()[:24], self.per_key
        client = scope.get("client")
        return "address:" + (client[0] if client else "unknown"), self.per_address

    async def _over_limit(
        self,
        limiter: FixedWindowRateLimiter,
        limits: list[RateLimitItem],
        identity: str,
    ) -> int | None:
        try:
            for limit in limits:
                if not await limiter.hit(limit, identity):
                    stats = await limiter.get_window_stats(limit, identity)
                    return max(1, int(stats.reset_time - time.time() + 0.999))
        except Exception as error:
            log.warning("ratelimit.storage_unavailable", error=type(error).__name__)
        return None


async def _too_many(send: Send, retry_after: int) -> None:
    message = f"Too many requests; try again in {retry_after} s."
    body = json.dumps(error_body(message, 429)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
