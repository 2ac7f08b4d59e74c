"""Cards in and out over HTTP: import, fetch, export, round trips."""

import base64
import json
from typing import Any

from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Project
from tests.cards.builders import (
    UNICODE_TEXT,
    png_with_chunks,
    text_chunk,
    text_chunks,
    to_bytes,
    v2_card,
    v3_card,
    world_info,
    zip_bytes,
    zip_listing,
)
from tests.factories import Caller, create_user


async def import_file(
    client: AsyncClient, caller: Caller, name: str, content: bytes, **form: str
) -> Any:
    response = await client.post(
        "/api/core/import",
        files={"file": (name, content)},
        data=form,
        headers=caller.headers,
    )
    return response


async def project_count(session: AsyncSession) -> int:
    return (
        await session.execute(select(func.count()).select_from(Project))
    ).scalar_one()


def png_card(card: dict[str, Any]) -> bytes:
    return png_with_chunks(text_chunk("chara", base64.b64encode(to_bytes(card))))


class TestImportPng:
    async def test_v2_png_round_trips_through_the_card_png(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        card = v2_card()

        imported = await import_file(client, alice, "card.png", png_card(card))
        path = imported.json()["fullPath"]
        node = (
            await client.get(f"/api/characters/{path}", params={"full": "true"})
        ).json()
        png = await client.get(node["node"]["max_res_url"].removeprefix("http://test"))
        after = (await client.get(f"/api/characters/{path}")).json()["node"]

        assert imported.status_code == 200
        assert imported.json()["projectSpace"] == "characters"
        assert node["errors"] is None
        assert node["node"]["name"] == card["data"]["name"]
        definition = node["node"]["definition"]
        assert definition["personality"] == card["data"]["description"]
        assert definition["tavern_personality"] == card["data"]["personality"]
        assert definition["first_message"] == card["data"]["first_mes"]
        assert png.headers["content-type"] == "image/png"
        chunks = text_chunks(png.content)
        assert json.loads(base64.b64decode(chunks["chara"])) == card
        assert json.loads(base64.b64decode(chunks["ccv3"]))["spec"] == "chara_card_v3"
        assert after["starCount"] == 1
        assert node["node"]["has_lore"] is True

    async def test_tags_of_the_card_become_topics(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        card = v2_card()
        card["data"]["tags"] = ["Fantasy", "NSFW", "  elf "]

        imported = await import_file(client, alice, "c.png", png_card(card))
        node = (
            await client.get(f"/api/characters/{imported.json()['fullPath']}")
        ).json()

        assert sorted(node["node"]["topics"]) == ["Fantasy", "NSFW", "elf"]
        assert node["node"]["nsfw"] is True


class TestImportJson:
    async def test_v3_json_exports_back_unchanged(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        card = v3_card()

        imported = await import_file(client, alice, "card.json", to_bytes(card))
        exported = await client.get(
            f"/api/characters/{imported.json()['fullPath']}/export",
            params={"format": "v3"},
        )

        assert exported.status_code == 200
        assert exported.json() == card
        assert "attachment" in exported.headers["content-disposition"]

    async def test_v2_json_exports_back_unchanged(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        card = v2_card()

        imported = await import_file(client, alice, "card.json", to_bytes(card))
        raw = await client.get(
            f"/api/v4/projects/{imported.json()['id']}/repository/files/raw%252Fcard.json/raw",
            params={"ref": "main"},
        )
        tavern = await client.get(
            f"/api/v4/projects/{imported.json()['id']}/repository/files/raw%2Ftavern_raw.json/raw"
        )

        assert raw.json() == card
        assert tavern.json() == {"data": card["data"]}

    async def test_world_info_round_trips(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        book = world_info()

        imported = await import_file(
            client, alice, "Eldoria world.json", to_bytes(book)
        )
        project_id = imported.json()["id"]
        raw = await client.get(
            f"/api/v4/projects/{project_id}/repository/files/raw%252Fsillytavern_raw.json/raw"
        )
        legacy = await client.post(
            "/api/lorebooks/download",
            json={"fullPath": imported.json()["fullPath"], "format": "SILLYTAVERN"},
        )
        node = (await client.get(f"/api/lorebooks/{project_id}")).json()["node"]

        assert imported.json()["projectSpace"] == "lorebooks"
        assert imported.json()["fullPath"] == "lorebooks/alice/eldoria-world"
        assert raw.json() == book
        assert legacy.json() == book
        assert node["name"] == "Eldoria world"


class TestImportCharx:
    async def test_assets_come_back_in_the_charx_export(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        card = v3_card()
        card["data"]["assets"] = [
            {
                "type": "icon",
                "uri": "embeded://assets/icon/main.png",
                "name": "main",
                "ext": "png",
            },
            {
                "type": "emotion",
                "uri": "embeded://assets/emotion/joy.png",
                "name": "joy",
                "ext": "png",
            },
        ]
        icon = png_with_chunks()
        joy = png_with_chunks(text_chunk("Comment", b"joy"))
        archive = zip_bytes(
            {
                "card.json": to_bytes(card),
                "assets/icon/main.png": icon,
                "assets/emotion/joy.png": joy,
            }
        )

        imported = await import_file(client, alice, "card.charx", archive)
        exported = await client.get(
            f"/api/characters/{imported.json()['fullPath']}/export",
            params={"format": "charx"},
        )
        files = zip_listing(exported.content)

        assert imported.json()["format"] == "charx"
        assert json.loads(files["card.json"]) == card
        assert files["assets/icon/main.png"] == icon
        assert files["assets/emotion/joy.png"] == joy


class TestBadCards:
    async def test_not_a_card_is_422_and_creates_nothing(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        before = await project_count(session)

        response = await import_file(client, alice, "notes.txt", b"just some words")

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "file"]
        assert "notes.txt" in response.json()["detail"][0]["msg"]
        assert await project_count(session) == before

    async def test_empty_name_is_422(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        card = v2_card()
        card["data"]["name"] = ""

        response = await import_file(client, alice, "card.json", to_bytes(card))

        assert response.status_code == 422
        assert "name" in response.json()["detail"][0]["msg"]

    async def test_png_without_a_card_is_422(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await import_file(client, alice, "photo.png", png_with_chunks())

        assert response.status_code == 422

    async def test_missing_file_is_422(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post("/api/core/import", headers=alice.headers)

        assert response.status_code == 422

    async def test_anonymous_import_is_401(self, client: AsyncClient) -> None:
        response = await client.post(
            "/api/core/import", files={"file": ("c.json", to_bytes(v2_card()))}
        )

        assert response.status_code == 401


class TestVisibility:
    async def test_private_import_is_hidden_from_others(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        bob = await create_user(session)

        imported = await import_file(
            client, alice, "c.json", to_bytes(v2_card()), visibility="private"
        )
        path = imported.json()["fullPath"]
        project_id = imported.json()["id"]

        assert (
            await client.get(f"/api/characters/{path}", headers=alice.headers)
        ).status_code == 200
        assert (
            await client.get(f"/api/characters/{path}", headers=bob.headers)
        ).status_code == 404
        assert (await client.get(f"/api/characters/{path}")).status_code == 404
        assert (await client.get(f"/api/characters/{path}/card.png")).status_code == 404
        raw = await client.get(
            f"/api/v4/projects/{project_id}/repository/files/raw%252Fcard.json/raw"
        )
        assert raw.status_code == 404

    async def test_unknown_visibility_is_422(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await import_file(
            client, alice, "c.json", to_bytes(v2_card()), visibility="secret"
        )

        assert response.status_code == 422


class TestExports:
    async def test_unicode_names_give_sanitised_file_names(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        card = v2_card()
        card["data"]["name"] = 'A/B:C*"D" 雪 🎭'

        imported = await import_file(client, alice, "c.json", to_bytes(card))
        node = (
            await client.get(f"/api/characters/{imported.json()['fullPath']}")
        ).json()
        response = await client.post(
            "/api/characters/download",
            json={"fullPath": imported.json()["fullPath"], "format": "tavern"},
        )

        disposition = response.headers["content-disposition"]
        assert node["node"]["name"] == 'A/B:C*"D" 雪 🎭'
        assert response.headers["content-type"] == "image/png"
        assert "/" not in disposition.split("filename*=")[1]
        assert disposition.endswith(".png")

    async def test_unknown_format_is_422(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        imported = await import_file(client, alice, "c.json", to_bytes(v2_card()))

        response = await client.get(
            f"/api/characters/{imported.json()['fullPath']}/export",
            params={"format": "pdf"},
        )

        assert response.status_code == 422

    async def test_unicode_text_survives(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        imported = await import_file(client, alice, "c.json", to_bytes(v2_card()))
        node = (
            await client.get(
                f"/api/characters/{imported.json()['fullPath']}", params={"full": "1"}
            )
        ).json()["node"]

        assert UNICODE_TEXT in node["definition"]["personality"]
