"""Gallery uploads by URL: fetched from public addresses only."""

import ipaddress
from collections.abc import Iterator
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.fetch import Fetcher, get_fetcher
from app.media.storage import LocalStorage
from app.models import GalleryImage
from tests.factories import Caller, create_user
from tests.gallery import images
from tests.gallery.conftest import stored_keys
from tests.kit.image_server import ImageServer, image_server
from tests.social.helpers import assert_error


@pytest.fixture
def server() -> Iterator[ImageServer]:
    with image_server() as served:
        yield served


def allow_loopback(client: AsyncClient) -> None:
    """Let the app behind `client` fetch from the test server on 127.0.0.1."""
    fetcher = Fetcher(
        timeout=5, allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),)
    )
    app = client._transport.app  # type: ignore[attr-defined]
    app.dependency_overrides[get_fetcher] = lambda: fetcher


async def post(client: AsyncClient, caller: Caller, **body: Any) -> Response:
    return await client.post("/api/gallery/upload", json=body, headers=caller.headers)


async def image_count(session: AsyncSession) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(GalleryImage)) or 0
    )


class TestUploadByUrl:
    @pytest.mark.parametrize("field", ["url", "image"])
    async def test_fetches_and_stores_the_image(
        self,
        client: AsyncClient,
        session: AsyncSession,
        server: ImageServer,
        field: str,
    ) -> None:
        alice = await create_user(session)
        url = server.image("/cat.png", images.png((40, 30)))
        allow_loopback(client)

        response = await post(client, alice, **{field: url})

        assert response.status_code == 200, response.text
        item = response.json()
        assert (item["metadata"]["width"], item["metadata"]["height"]) == (40, 30)
        assert item["url"].startswith("http://test/media/gallery/")
        assert server.seen == [("/cat.png", server.url.removeprefix("http://"))]

    async def test_a_multipart_url_field(
        self, client: AsyncClient, session: AsyncSession, server: ImageServer
    ) -> None:
        alice = await create_user(session)
        url = server.image("/cat.png", images.png())
        allow_loopback(client)

        response = await client.post(
            "/api/gallery/upload",
            # Fields without a file name: a multipart body with no file.
            files={"url": (None, url), "description": (None, "by form")},
            headers=alice.headers,
        )

        assert response.status_code == 200, response.text
        assert response.json()["description"] == "by form"


class TestRefusedUrls:
    @pytest.mark.parametrize(
        "host",
        ["127.0.0.1", "localhost", "10.20.30.40", "169.254.169.254", "[::1]"],
    )
    async def test_private_addresses_are_400_and_nothing_is_stored(
        self,
        client: AsyncClient,
        session: AsyncSession,
        storage: LocalStorage,
        server: ImageServer,
        host: str,
    ) -> None:
        alice = await create_user(session)
        port = server.url.rsplit(":", 1)[1]
        server.image("/cat.png", images.png())
        rows, files = await image_count(session), stored_keys(storage)

        response = await post(client, alice, url=f"http://{host}:{port}/cat.png")

        assert_error(response, 400)
        assert "non-public" in response.json()["detail"]
        assert server.seen == []
        assert await image_count(session) == rows
        assert stored_keys(storage) == files

    async def test_a_redirect_to_a_private_address_is_400(
        self,
        client: AsyncClient,
        session: AsyncSession,
        storage: LocalStorage,
        server: ImageServer,
    ) -> None:
        alice = await create_user(session)
        url = server.redirect("/go", "http://169.254.169.254/latest/meta-data/")
        allow_loopback(client)
        rows, files = await image_count(session), stored_keys(storage)

        response = await post(client, alice, image=url)

        assert_error(response, 400)
        assert await image_count(session) == rows
        assert stored_keys(storage) == files

    async def test_other_schemes_in_url_are_400(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await post(client, alice, url="file:///etc/passwd")

        assert_error(response, 400)
        assert "http and https" in response.json()["detail"]

    async def test_a_page_that_is_no_image_is_400(
        self, client: AsyncClient, session: AsyncSession, server: ImageServer
    ) -> None:
        alice = await create_user(session)
        server.image("/page.html", b"<html>hello</html>")
        allow_loopback(client)

        response = await post(client, alice, url=server.url + "/page.html")

        assert_error(response, 400)
