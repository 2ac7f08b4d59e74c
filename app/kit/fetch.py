"""Fetching a URL a user gave (an image to upload), public addresses only.

Each hop resolves its host once and refuses the fetch when any address is not
public (loopback, private, link-local, multicast, reserved, unspecified), then
connects to the address it checked: a second DNS answer cannot swap in another
(DNS rebinding). Redirects are followed by hand, each hop checked the same way.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import httpx
import structlog
from fastapi import Depends

from app.errors import BadRequest
from app.kit.dependencies import SettingsDep

log = structlog.get_logger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Host and port to the addresses they resolve to."""

REDIRECTS = frozenset({301, 302, 303, 307, 308})


class FetchRefused(BadRequest):
    """A URL this server will not fetch: another scheme or a non-public address."""


class FetchFailed(BadRequest):
    """A URL that could not be fetched: unreachable, slow, too large or an error."""


def is_url(value: str) -> bool:
    """Whether a user-given value is an http(s) URL rather than inline data."""
    return value[:8].lower().startswith(("http://", "https://"))


def is_public(address: IPAddress) -> bool:
    """Whether an address is one this server may connect to for a user."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return is_public(embedded)
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


async def resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(sockaddr[0]) for *_, sockaddr in found]


@dataclass(frozen=True)
class Fetcher:
    timeout: float = 20.0
    """Seconds for the whole fetch, redirects and DNS included."""
    max_redirects: int = 3
    allowed_networks: tuple[IPNetwork, ...] = ()
    """Non-public networks to fetch from anyway; for tests, never from settings."""
    resolver: Resolver = resolve

    async def fetch(self, url: str, max_bytes: int) -> bytes:
        """The body of a GET of ``url``; 400 when refused, failed or larger
        than ``max_bytes``."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._fetch(_parsed(url), max_bytes)
        except TimeoutError:
            raise FetchFailed(
                f"The URL did not answer within {self.timeout:g} seconds."
            ) from None

    async def _fetch(self, url: httpx.URL, max_bytes: int) -> bytes:
        # Proxies from the environment would resolve names themselves, and no
        # connection is reused: each hop goes to the address it checked.
        async with httpx.AsyncClient(
            timeout=self.timeout,
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        ) as client:
            for _ in range(self.max_redirects + 1):
                request = await self._request(client, url)
                response = await _send(client, request, url)
                try:
                    location = _location(response)
                    if location is None:
                        return await _body(response, url, max_bytes)
                finally:
                    await response.aclose()
                url = _parsed(str(url.join(location)))
        raise FetchFailed(f"The URL redirected more than {self.max_redirects} times.")

    async def _request(
        self, client: httpx.AsyncClient, url: httpx.URL
    ) -> httpx.Request:
        address = await self._checked_address(url)
        # The connection goes to the checked address; the Host header, TLS
        # SNI and certificate check keep the name.
        extensions = {"sni_hostname": _host(url)} if url.scheme == "https" else {}
        return client.build_request(
            "GET",
            url.copy_with(host=str(address)),
            headers={
                "Host": url.netloc.decode("ascii"),
                "Accept": "image/*",
                # Counted bytes are the bytes that arrive: nothing to inflate.
                "Accept-Encoding": "identity",
            },
            extensions=extensions,
        )

    async def _checked_address(self, url: httpx.URL) -> IPAddress:
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            found = await self.resolver(_host(url), port)
        except OSError:
            raise FetchFailed("The URL's host name could not be resolved.") from None
        addresses = [_address(value) for value in found]
        if not addresses or not all(self._allowed(a) for a in addresses):
            log.warning("fetch.refused_address", host=url.host)
            raise FetchRefused(
                "The URL points at a loopback, private or otherwise non-public "
                "address; this server fetches only from public ones."
            )
        return addresses[0]

    def _allowed(self, address: IPAddress) -> bool:
        if any(address in network for network in self.allowed_networks):
            return True
        return is_public(address)


def _parsed(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise FetchRefused("The URL is not valid.") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchRefused("Only http and https URLs can be fetched.")
    return parsed


def _host(url: httpx.URL) -> str:
    # IDNA-encoded, as DNS and TLS want it.
    return url.raw_host.decode("ascii")


def _address(value: str) -> IPAddress:
    try:
        # An IPv6 scope ("fe80::1%eth0") names an interface, not the address.
        return ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        raise FetchRefused("The URL's host resolved to no usable address.") from None


async def _send(
    client: httpx.AsyncClient, request: httpx.Request, url: httpx.URL
) -> httpx.Response:
    try:
        return await client.send(request, stream=True)
    except httpx.HTTPError as error:
        log.warning("fetch.failed", host=url.host, error=type(error).__name__)
        raise FetchFailed("The URL could not be fetched.") from None


def _location(response: httpx.Response) -> str | None:
    if response.status_code not in REDIRECTS:
        return None
    location: str | None = response.headers.get("location")
    return location


async def _body(response: httpx.Response, url: httpx.URL, max_bytes: int) -> bytes:
    if not response.is_success:
        log.warning("fetch.upstream_error", host=url.host, status=response.status_code)
        raise FetchFailed(f"The URL answered {response.status_code}.")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    body = bytearray()
    try:
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) > max_bytes:
                raise _too_large(max_bytes)
    except httpx.HTTPError as error:
        log.warning("fetch.failed", host=url.host, error=type(error).__name__)
        raise FetchFailed("The URL could not be read to its end.") from None
    return bytes(body)


def _too_large(max_bytes: int) -> FetchFailed:
    size = f"{max_bytes // 2**20} MB" if max_bytes >= 2**20 else f"{max_bytes} bytes"
    return FetchFailed(f"The URL's content is larger than {size}.")


def get_fetcher(settings: SettingsDep) -> Fetcher:
    return Fetcher(
        timeout=settings.fetch_timeout_seconds,
        max_redirects=settings.fetch_max_redirects,
    )


FetcherDep = Annotated[Fetcher, Depends(get_fetcher)]
