import ipaddress
from collections.abc import Iterator

import pytest

from app.kit.fetch import Fetcher, FetchFailed, FetchRefused, is_public
from tests.gallery import images
from tests.kit.image_server import ImageServer, Route, image_server

LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)


@pytest.fixture
def server() -> Iterator[ImageServer]:
    with image_server() as served:
        yield served


@pytest.fixture
def loopback() -> Fetcher:
    """A fetcher that may reach the test server on 127.0.0.1, and only it."""
    return Fetcher(timeout=5, allowed_networks=LOOPBACK)


class TestRefusedAddresses:
    @pytest.mark.parametrize(
        "host",
        [
            "127.0.0.1",
            "localhost",
            "10.0.0.7",
            "169.254.169.254",
            "[::1]",
            "0.0.0.0",
            "[::ffff:127.0.0.1]",
            "2130706433",
        ],
    )
    async def test_is_400_before_connecting(
        self, server: ImageServer, host: str
    ) -> None:
        port = server.url.rsplit(":", 1)[1]
        server.image("/cat.png", images.png())

        with pytest.raises(FetchRefused) as refused:
            await Fetcher(timeout=5).fetch(f"http://{host}:{port}/cat.png", 10_000)

        assert refused.value.status_code == 400
        assert "non-public" in refused.value.message
        assert server.seen == []

    async def test_a_name_with_any_private_address_is_refused(self) -> None:
        async def resolver(host: str, port: int) -> list[str]:
            return ["93.184.216.34", "192.168.1.20"]

        fetcher = Fetcher(timeout=5, resolver=resolver)

        with pytest.raises(FetchRefused):
            await fetcher.fetch("https://images.example/cat.png", 10_000)

    @pytest.mark.parametrize(
        "url", ["file:///etc/passwd", "ftp://example.com/a.png", "gopher://x/"]
    )
    async def test_other_schemes_are_refused(self, url: str) -> None:
        with pytest.raises(FetchRefused, match="http and https"):
            await Fetcher(timeout=5).fetch(url, 10_000)

    @pytest.mark.parametrize(
        "address",
        ["100.64.0.1", "224.0.0.1", "240.0.0.1", "fe80::1", "fc00::1", "2002:a00::1"],
    )
    def test_other_special_ranges_are_not_public(self, address: str) -> None:
        assert not is_public(ipaddress.ip_address(address))

    def test_public_addresses_are(self) -> None:
        assert is_public(ipaddress.ip_address("93.184.216.34"))
        assert is_public(ipaddress.ip_address("2606:4700::1111"))


class TestRedirects:
    @pytest.mark.parametrize(
        "target",
        [
            "http://169.254.169.254/latest/meta-data/",
            "http://10.1.2.3/cat.png",
            "http://127.0.0.2:{port}/cat.png",
            "file:///etc/passwd",
        ],
    )
    async def test_to_a_refused_address_is_refused(
        self, server: ImageServer, loopback: Fetcher, target: str
    ) -> None:
        port = server.url.rsplit(":", 1)[1]
        url = server.redirect("/go", target.format(port=port))

        with pytest.raises(FetchRefused):
            await loopback.fetch(url, 10_000)

        assert [path for path, _ in server.seen] == ["/go"]

    async def test_allowed_ones_are_followed(
        self, server: ImageServer, loopback: Fetcher
    ) -> None:
        data = images.png()
        server.image("/cat.png", data)
        server.redirect("/b", "/cat.png")
        url = server.redirect("/a", server.url + "/b")

        fetched = await loopback.fetch(url, 10_000)

        assert fetched == data
        assert [path for path, _ in server.seen] == ["/a", "/b", "/cat.png"]

    async def test_at_most_a_few(self, server: ImageServer) -> None:
        url = server.redirect("/loop", "/loop")
        fetcher = Fetcher(timeout=5, max_redirects=2, allowed_networks=LOOPBACK)

        with pytest.raises(FetchFailed, match="more than 2"):
            await fetcher.fetch(url, 10_000)

        assert len(server.seen) == 3


class TestFetch:
    async def test_returns_the_body(
        self, server: ImageServer, loopback: Fetcher
    ) -> None:
        data = images.png()
        url = server.image("/cat.png", data)

        assert await loopback.fetch(url, 10_000) == data

    async def test_connects_to_the_address_it_checked(
        self, server: ImageServer
    ) -> None:
        lookups = []

        async def resolver(host: str, port: int) -> list[str]:
            lookups.append(host)
            return ["127.0.0.1"]

        fetcher = Fetcher(timeout=5, allowed_networks=LOOPBACK, resolver=resolver)
        port = server.url.rsplit(":", 1)[1]
        data = images.png()
        server.image("/cat.png", data)

        fetched = await fetcher.fetch(f"http://images.example:{port}/cat.png", 10_000)

        # A name no DNS knows: only the checked address can have been used.
        assert fetched == data
        assert lookups == ["images.example"]
        assert server.seen == [("/cat.png", f"images.example:{port}")]

    async def test_stops_reading_at_the_limit(
        self, server: ImageServer, loopback: Fetcher
    ) -> None:
        url = server.image("/big.png", b"x" * 200_000)

        with pytest.raises(FetchFailed, match="larger than 1000 bytes"):
            await loopback.fetch(url, 1000)

    async def test_a_declared_length_over_the_limit_is_refused(
        self, server: ImageServer, loopback: Fetcher
    ) -> None:
        server.routes["/big.png"] = Route(headers={"Content-Length": "5000000"})

        with pytest.raises(FetchFailed, match="larger than"):
            await loopback.fetch(server.url + "/big.png", 1000)

    async def test_an_error_status_fails(
        self, server: ImageServer, loopback: Fetcher
    ) -> None:
        with pytest.raises(FetchFailed, match="answered 404"):
            await loopback.fetch(server.url + "/nothing.png", 10_000)

    async def test_a_slow_server_fails_in_time(self, server: ImageServer) -> None:
        server.routes["/slow.png"] = Route(body=b"late", delay=3)
        fetcher = Fetcher(timeout=0.3, allowed_networks=LOOPBACK)

        with pytest.raises(FetchFailed, match="within 0.3 seconds"):
            await fetcher.fetch(server.url + "/slow.png", 10_000)

    async def test_an_unknown_host_fails(self) -> None:
        with pytest.raises(FetchFailed, match="could not be resolved"):
            await Fetcher(timeout=5).fetch("http://no-such-host.invalid/", 10_000)
