"""HTTP calls to image servers, with their failures mapped to back-end errors."""

import functools
import ssl
from typing import Any

import httpx
import structlog

from app.imagine.backends.base import (
    BackendMalformed,
    BackendRefused,
    BackendTimeout,
    BackendUnavailable,
)

log = structlog.get_logger(__name__)

DETAIL_CHARS = 300


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes tens of milliseconds: once per process, not
    # once per job.
    return ssl.create_default_context()


def make_client(
    base_url: str, timeout: float, headers: dict[str, str] | None = None
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url.rstrip("/"),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        headers=headers,
        verify=_ssl_context(),
    )


async def send(client: httpx.AsyncClient, method: str, url: str, **kw: Any) -> Any:
    """The response of a call; errors for timeouts, refusals and server failures."""
    try:
        response = await client.request(method, url, **kw)
    except httpx.TimeoutException:
        log.warning("imagine.backend_timeout", url=url)
        raise BackendTimeout("The image server did not answer in time.") from None
    except httpx.HTTPError as error:
        log.warning("imagine.backend_unreachable", url=url, error=type(error).__name__)
        raise BackendUnavailable("The image server could not be reached.") from None
    _raise_for_status(response, url)
    return response


async def send_json(client: httpx.AsyncClient, method: str, url: str, **kw: Any) -> Any:
    response = await send(client, method, url, **kw)
    try:
        return response.json()
    except ValueError:
        raise BackendMalformed("The image server's answer is not JSON.") from None


def _raise_for_status(response: httpx.Response, url: str) -> None:
    status = response.status_code
    if status < 400:
        return
    log.warning("imagine.backend_error_status", url=url, status=status)
    if status >= 500 or status == 429:
        raise BackendUnavailable(f"The image server failed (HTTP {status}).")
    raise BackendRefused(
        f"The image server refused the request (HTTP {status}): {_detail(response)}"
    )


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:DETAIL_CHARS] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("detail", "error", "message", "errors"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message", value)
            if value:
                return str(value)[:DETAIL_CHARS]
    return str(body)[:DETAIL_CHARS]
