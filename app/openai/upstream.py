"""Forwarding to an OpenAI-compatible server: bodies and streams go through as
bytes, never parsed, so the proxy adds little to each request."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import structlog

from app.config import Settings
from app.openai.backend import Call, Stream
from app.openai.errors import (
    ModelNotFound,
    UpstreamRefused,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from app.openai.streaming import error_event

log = structlog.get_logger(__name__)

CONNECT_TIMEOUT = 10.0


class UpstreamBackend:
    def __init__(
        self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        assert settings.llm_base_url is not None
        headers = {}
        if settings.llm_api_key is not None:
            headers["Authorization"] = (
                f"Bearer {settings.llm_api_key.get_secret_value()}"
            )
        self.client = httpx.AsyncClient(
            base_url=settings.llm_base_url.rstrip("/") + "/",
            headers=headers,
            timeout=httpx.Timeout(
                settings.llm_timeout_seconds, connect=CONNECT_TIMEOUT
            ),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            transport=transport,
        )
        self.configured_model = settings.llm_model
        self._first_model: str | None = None
        self._lock = asyncio.Lock()

    async def models(self) -> list[str]:
        try:
            response = await self.client.get("models")
            response.raise_for_status()
            return [str(m["id"]) for m in response.json().get("data", [])]
        except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError):
            log.warning("openai.upstream_models_failed")
            return [self.configured_model] if self.configured_model else []

    async def default_model(self) -> str:
        if self.configured_model:
            return self.configured_model
        async with self._lock:
            if self._first_model is None:
                names = await self.models()
                if not names:
                    raise ModelNotFound("(the upstream's default)")
                self._first_model = names[0]
        return self._first_model

    async def complete(self, call: Call) -> bytes:
        try:
            response = await self.client.post(call.endpoint, json=call.body)
        except httpx.TimeoutException as error:
            raise UpstreamTimeout() from error
        except httpx.TransportError as error:
            raise UpstreamUnavailable() from error
        if response.status_code >= 400:
            raise _refused(response)
        return response.content

    async def open_stream(self, call: Call) -> Stream:
        # Identity encoding: each event is passed on as it arrives, and there
        # is nothing to gain from compressing loopback traffic.
        request = self.client.build_request(
            "POST",
            call.endpoint,
            json=call.body,
            headers={"Accept-Encoding": "identity"},
        )
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TimeoutException as error:
            raise UpstreamTimeout() from error
        except httpx.TransportError as error:
            raise UpstreamUnavailable() from error
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            raise _refused(response)
        return Stream(_relay(response), response.aclose)

    async def aclose(self) -> None:
        await self.client.aclose()


async def _relay(response: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_bytes():
            yield chunk
    except httpx.HTTPError:
        log.warning("openai.upstream_stream_broken")
        yield error_event("The language model server broke off the answer.", 502)
    finally:
        # Also when the client went away: closing ends the upstream's work.
        await response.aclose()


def _refused(response: httpx.Response) -> UpstreamRefused:
    log.warning("openai.upstream_refused", status=response.status_code)
    try:
        body = response.json()
    except ValueError:
        body = {"error": response.text[:500] or None}
    return UpstreamRefused(response.status_code, body)
