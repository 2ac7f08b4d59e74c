"""The authorization matrix: another user and an anonymous caller are refused
on everything that changes or reads someone's private data, and nothing changes.
"""

import base64
import io
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import AsyncClient
from PIL import Image
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Base
from tests.factories import Caller, create_project, create_user


@dataclass
class World:
    alice: Caller
    bob: Caller
    private_id: int
    private_slug: str
    public_id: int
    public_slug: str
    private_book: int
    public_book: int
    image: str


def png_data_url() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
async def world(client: AsyncClient, session: AsyncSession) -> World:
    alice = await create_user(session, username="alice")
    bob = await create_user(session, username="bob")
    private = await create_project(session, alice, name="Secret", visibility="private")
    public = await create_project(session, alice, name="Open")
    private_book = await create_project(
        session, alice, kind="lorebooks", name="Hidden", visibility="private"
    )
    public_book = await create_project(session, alice, kind="lorebooks", name="Atlas")
    await client.post("/config/ui/theme", json={"value": "dark"}, headers=alice.headers)
    upload = await client.post(
        "/api/gallery/upload",
        json={"project_id": public.id, "image": png_data_url()},
        headers=alice.headers,
    )
    assert upload.status_code == 200, upload.text
    return World(
        alice, bob, private.id, private.slug, public.id, public.slug,
        private_book.id, public_book.id, upload.json()["uuid"],
    )  # fmt: skip


def mutations(w: World) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Changes to alice's things; `None` bodies send nothing."""
    link = f"/api/core/characters/link/alice/{w.public_slug}/lorebook/{w.public_book}"
    image = png_data_url()
    return [
        ("PUT", f"/api/core/characters/alice/{w.public_slug}", {"scenario": "x"}),
        ("PUT", f"/api/core/characters/alice/{w.private_slug}", {"scenario": "x"}),
        ("PUT", f"/api/core/lorebooks/{w.public_book}", {"name": "Mine"}),
        ("PUT", f"/api/core/lorebooks/{w.private_book}", {"name": "Mine"}),
        ("PUT", f"/api/project/{w.public_id}/metadata", {"name": "Mine"}),
        ("PUT", f"/api/project/{w.private_id}/metadata", {"name": "Mine"}),
        ("DELETE", f"/api/project/{w.public_id}", None),
        ("DELETE", f"/api/project/{w.private_id}", None),
        ("POST", link, None),
        ("DELETE", link, None),
        ("POST", f"/api/tags/{w.public_id}/stolen", None),
        ("DELETE", f"/api/tags/{w.private_id}/stolen", None),
        ("POST", f"/api/project/{w.public_id}/ratings/disable", None),
        ("POST", f"/api/project/{w.private_id}/ratings/enable", None),
        ("POST", f"/api/project/{w.private_id}/rate", {"rating": 1}),
        ("POST", f"/api/favorites/{w.private_id}", None),
        ("DELETE", f"/api/gallery/{w.image}", None),
        ("POST", "/api/gallery/upload", {"project_id": w.public_id, "image": image}),
        ("POST", "/lore/item", None),
        ("DELETE", f"/lore/{w.public_id}/item/{uuid.uuid4()}", None),
        ("DELETE", "/config/ui/theme", None),
    ]  # fmt: skip


def private_reads(w: World) -> list[str]:
    return [
        f"/api/characters/alice/{w.private_slug}",
        f"/api/characters/{w.private_id}",
        f"/api/project/{w.private_id}",
        f"/api/lorebooks/{w.private_book}",
        f"/api/characters/alice/{w.private_slug}/card.png",
        f"/api/characters/alice/{w.private_slug}/export?format=v2",
        f"/api/v4/projects/{w.private_id}/repository/files/raw%252Fcard.json/raw",
        f"/api/v4/projects/{w.private_id}/repository/commits",
        f"/api/project/{w.private_id}/ratings",
        f"/api/gallery/project/{w.private_id}",
        f"/lore/items?owner_ids={w.private_id}",
    ]


async def snapshot(session: AsyncSession) -> dict[str, list[str]]:
    found = {}
    for table in Base.metadata.sorted_tables:
        rows = await session.execute(
            text(f"SELECT t::text FROM {table.name} t ORDER BY 1")
        )
        found[table.name] = [row[0] for row in rows]
    return found


async def call(
    client: AsyncClient, method: str, path: str, body: dict[str, Any] | None,
    headers: dict[str, str], w: World,
) -> int:  # fmt: skip
    if path == "/lore/item":
        data = {"owner_id": str(w.public_id), "content": "Stolen words."}
        response = await client.post(path, data=data, headers=headers)
    else:
        response = await client.request(method, path, json=body, headers=headers)
    return response.status_code


class TestOthersAreRefused:
    async def test_another_user_changes_nothing(
        self, client: AsyncClient, session: AsyncSession, world: World
    ) -> None:
        before = await snapshot(session)

        statuses = {
            f"{method} {path}": await call(
                client, method, path, body, world.bob.headers, world
            )
            for method, path, body in mutations(world)
        }

        assert {k: v for k, v in statuses.items() if v not in (403, 404)} == {}
        assert await snapshot(session) == before

    async def test_anonymous_changes_nothing(
        self, client: AsyncClient, session: AsyncSession, world: World
    ) -> None:
        before = await snapshot(session)

        statuses = {
            f"{method} {path}": await call(client, method, path, body, {}, world)
            for method, path, body in mutations(world)
        }

        assert {k: v for k, v in statuses.items() if v != 401} == {}
        assert await snapshot(session) == before

    @pytest.mark.parametrize("who", ["bob", "anonymous"])
    async def test_private_reads_are_404(
        self, client: AsyncClient, world: World, who: str
    ) -> None:
        headers = world.bob.headers if who == "bob" else {}

        statuses = {
            path: (await client.get(path, headers=headers)).status_code
            for path in private_reads(world)
        }

        assert {k: v for k, v in statuses.items() if v not in (403, 404)} == {}

    async def test_the_owner_reads_them(
        self, client: AsyncClient, world: World
    ) -> None:
        statuses = {
            path: (await client.get(path, headers=world.alice.headers)).status_code
            for path in private_reads(world)
        }

        assert {k: v for k, v in statuses.items() if v != 200} == {}

    async def test_configs_are_per_user(
        self, client: AsyncClient, world: World
    ) -> None:
        response = await client.get("/config", headers=world.bob.headers)

        assert response.json() == {"configs": []}
