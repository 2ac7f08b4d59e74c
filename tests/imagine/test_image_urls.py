"""Init images and masks given as URLs: fetched from public addresses only."""

import base64
import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.fetch import Fetcher, get_fetcher
from app.media.storage import LocalStorage
from app.models import ImagineJob, User
from tests.factories import Caller, create_user
from tests.imagine.conftest import FakeBackend
from tests.imagine.fakes import png
from tests.kit.image_server import ImageServer, image_server


@pytest.fixture
def server() -> Iterator[ImageServer]:
    with image_server() as served:
        yield served


def allow_loopback(client: AsyncClient) -> None:
    fetcher = Fetcher(
        timeout=5, allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),)
    )
    app = client._transport.app  # type: ignore[attr-defined]
    app.dependency_overrides[get_fetcher] = lambda: fetcher


async def imagine(client: AsyncClient, caller: Caller, **body: Any) -> Response:
    body = {"prompt": "a harbour", "generation_type": "image_to_image", **body}
    return await client.post("/imagine", json=body, headers=caller.headers)


async def state(session: AsyncSession, caller: Caller) -> tuple[int, int]:
    """The caller's jobs and credits."""
    # The identity, not `user.id`: a refused request's rollback expires the user.
    user_id = inspect(caller.user).identity[0]
    jobs = await session.scalar(
        select(func.count()).where(ImagineJob.user_id == user_id)
    )
    credits = await session.scalar(select(User.credits).where(User.id == user_id))
    return int(jobs or 0), int(credits or 0)


def files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


class TestInitImageUrls:
    async def test_fetched_images_reach_the_back_end(
        self,
        imagine_client: AsyncClient,
        session: AsyncSession,
        backend: FakeBackend,
        server: ImageServer,
    ) -> None:
        caller = await create_user(session, credits=100)
        init = server.image("/init.png", png(32, 32))
        mask = server.image("/mask.png", png(32, 32, 1))
        allow_loopback(imagine_client)

        response = await imagine(
            imagine_client, caller, init_image=init, mask_image=mask
        )

        assert response.status_code == 200, response.text
        assert response.json()["generation_type"] == "inpainting"
        assert backend.specs[0].init_image == png(32, 32)
        assert backend.specs[0].mask_image == png(32, 32, 1)

    @pytest.mark.parametrize(
        ("fields", "location"),
        [
            ({"init_image": "http://127.0.0.1:{port}/init.png"}, "init_image"),
            ({"init_images": ["http://localhost:{port}/init.png"]}, "init_image"),
            ({"init_image": "http://10.0.0.3/init.png"}, "init_image"),
            ({"init_image": "http://[::1]:{port}/init.png"}, "init_image"),
            (
                {"init_image": "{b64}", "mask_image": "http://169.254.169.254/m"},
                "mask_image",
            ),
        ],
    )
    async def test_private_addresses_are_refused_before_anything_is_written(
        self,
        imagine_client: AsyncClient,
        session: AsyncSession,
        storage: LocalStorage,
        server: ImageServer,
        fields: dict[str, Any],
        location: str,
    ) -> None:
        caller = await create_user(session, credits=100)
        server.image("/init.png", png(32, 32))
        port = server.url.rsplit(":", 1)[1]
        b64 = base64.b64encode(png(32, 32)).decode()
        filled = {
            key: [v.format(port=port) for v in value]
            if isinstance(value, list)
            else value.format(port=port, b64=b64)
            for key, value in fields.items()
        }

        response = await imagine(imagine_client, caller, **filled)

        assert response.status_code == 400, response.text
        body = response.json()
        assert (body["reason"], body["location"]) == ("malformed_image", location)
        assert server.seen == []
        assert await state(session, caller) == (0, 100)
        assert files(storage.root) == []

    async def test_a_redirect_to_a_private_address_is_refused(
        self,
        imagine_client: AsyncClient,
        session: AsyncSession,
        storage: LocalStorage,
        server: ImageServer,
    ) -> None:
        caller = await create_user(session, credits=100)
        url = server.redirect("/init.png", "http://127.0.0.2/init.png")
        allow_loopback(imagine_client)

        response = await imagine(imagine_client, caller, init_image=url)

        assert response.status_code == 400
        assert "non-public" in response.json()["detail"]
        assert await state(session, caller) == (0, 100)
        assert files(storage.root) == []
