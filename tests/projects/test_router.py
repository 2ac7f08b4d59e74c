import base64
import io
from typing import Any

import pytest
from httpx import AsyncClient
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import create_project, create_user


def avatar_data_url(color: tuple[int, int, int] = (200, 10, 10)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 24), color).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


async def node_of(client: AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(f"/api/characters/{path}", params=params)
    assert response.status_code == 200, response.text
    node: dict[str, Any] = response.json()["node"]
    return node


HOSTED_BODY = {
    "name": "Mira",
    "personality": "A cartographer of lost roads.",
    "tavern_personality": "curious, dry",
    "description": "My first character!",
    "first_message": "*unrolls a map* Where to?",
    "example_dialogs": "<START>\n{{user}}: hi\n{{char}}: hello",
    "scenario": "A tavern.",
    "system_prompt": "Stay in character.",
    "alternate_greetings": ["Hello again."],
    "tagline": "Maps and more",
    "topics": ["Fantasy", "OC"],
    "extensions": {"x_client": {"keep": True}},
}


class TestCreateCharacter:
    async def test_hosted_names_map_to_the_card(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")

        response = await client.post(
            "/api/core/characters", json=HOSTED_BODY, headers=alice.headers
        )
        body = response.json()
        node = await node_of(client, body["fullPath"], full="true")
        card = await client.get(
            f"/api/characters/{body['fullPath']}/export", params={"format": "v2"}
        )

        assert body["success"] is True
        assert body["character_id"] == body["id"] == node["id"]
        assert body["fullPath"] == "alice/mira"
        assert node["tagline"] == "Maps and more"
        assert node["description"] == "My first character!"
        assert sorted(node["topics"]) == ["Fantasy", "OC"]
        assert node["nTokens"] > 10
        assert node["definition"]["first_message"] == "*unrolls a map* Where to?"
        data = card.json()["data"]
        assert data["description"] == "A cartographer of lost roads."
        assert data["personality"] == "curious, dry"
        assert data["creator_notes"] == "My first character!"
        assert data["mes_example"].startswith("<START>")
        assert data["extensions"]["x_client"] == {"keep": True}

    async def test_card_names_are_accepted(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        body = {"name": "Kai", "description": "card description", "first_mes": "Yo."}

        response = await client.post(
            "/api/core/characters", json=body, headers=alice.headers
        )
        card = await client.get(
            f"/api/characters/{response.json()['fullPath']}/export",
            params={"format": "v2"},
        )

        assert card.json()["data"]["description"] == "card description"
        assert card.json()["data"]["first_mes"] == "Yo."

    async def test_same_name_gets_a_new_slug(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")

        first = await client.post(
            "/api/core/characters", json={"name": "Twin"}, headers=alice.headers
        )
        second = await client.post(
            "/api/core/characters", json={"name": "Twin"}, headers=alice.headers
        )

        assert first.json()["fullPath"] == "alice/twin"
        assert second.json()["fullPath"] == "alice/twin-2"

    @pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}])
    async def test_empty_name_is_400(
        self, client: AsyncClient, session: AsyncSession, body: dict[str, str]
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/api/core/characters", json=body, headers=alice.headers
        )

        assert response.status_code == 400
        assert "name" in response.json()["detail"]

    async def test_wrong_field_type_is_a_client_error(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/api/core/characters",
            json={"name": "X", "alternate_greetings": {"not": "a list"}},
            headers=alice.headers,
        )

        assert response.status_code == 400

    async def test_avatar_data_url(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/api/core/characters",
            json={"name": "Pic", "avatar": avatar_data_url()},
            headers=alice.headers,
        )
        node = await node_of(client, response.json()["fullPath"])
        image = await client.get(node["avatar_url"].removeprefix("http://test"))

        assert image.status_code == 200
        assert image.headers["content-type"] == "image/png"
        assert "immutable" in image.headers["cache-control"]
        assert Image.open(io.BytesIO(image.content)).size == (16, 24)

    async def test_bad_avatar_is_400_and_creates_nothing(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")

        response = await client.post(
            "/api/core/characters",
            json={"name": "Broken", "avatar": "data:image/png;base64,bm90IGFuIGltYWdl"},
            headers=alice.headers,
        )
        fetched = await client.get("/api/characters/alice/broken")

        assert response.status_code == 400
        assert fetched.status_code == 404


class TestUpdateCharacter:
    async def test_only_sent_fields_change_and_a_version_is_kept(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        created = await client.post(
            "/api/core/characters", json=HOSTED_BODY, headers=alice.headers
        )
        project_id = created.json()["id"]

        response = await client.put(
            "/api/core/characters/alice/mira",
            json={"first_message": "New greeting.", "tagline": "Updated"},
            headers=alice.headers,
        )
        node = await node_of(client, "alice/mira", full="true")
        commits = (
            await client.get(f"/api/v4/projects/{project_id}/repository/commits")
        ).json()
        old = await client.get(
            f"/api/v4/projects/{project_id}/repository/files/raw%252Fcard.json/raw",
            params={"ref": commits[1]["id"]},
        )

        assert response.status_code == 200
        assert node["definition"]["first_message"] == "New greeting."
        assert node["definition"]["scenario"] == "A tavern."
        assert node["tagline"] == "Updated"
        assert len(commits) == 2
        assert commits[0]["id"] == node["version"]
        assert old.json()["data"]["first_mes"] == "*unrolls a map* Where to?"

    async def test_by_id_in_the_path(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        project = await create_project(session, alice, name="Numbered")

        response = await client.put(
            f"/api/core/characters/alice/{project.id}",
            json={"scenario": "Night."},
            headers=alice.headers,
        )

        assert response.status_code == 200

    async def test_someone_elses_is_403(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        bob = await create_user(session)
        await create_project(session, alice, name="Mine")

        response = await client.put(
            "/api/core/characters/alice/mine",
            json={"scenario": "x"},
            headers=bob.headers,
        )

        assert response.status_code == 403
        assert response.json()["errorCode"] == 403

    async def test_someone_elses_private_is_404(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        bob = await create_user(session)
        await create_project(session, alice, name="Secret", visibility="private")

        response = await client.put(
            "/api/core/characters/alice/secret",
            json={"scenario": "x"},
            headers=bob.headers,
        )

        assert response.status_code == 404


class TestFetch:
    async def test_unlisted_is_reachable_by_path(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        await create_project(session, alice, name="Quiet", visibility="unlisted")

        node = await node_of(client, "alice/quiet")

        assert node["is_unlisted"] is True
        assert node["is_public"] is False

    async def test_node_fields(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        project = await create_project(
            session, alice, name="Fields", topics=["A"], nsfl=True
        )

        node = await node_of(client, f"alice/{project.id}")

        assert node["fullPath"] == "alice/fields"
        assert node["projectSpace"] == "characters"
        assert node["creatorId"] == alice.user.id
        assert node["topics"] == ["A", "NSFL"]
        assert node["definition"] is None
        assert node["max_res_url"] == "http://test/api/characters/alice/fields/card.png"
        assert node["labels"][0]["title"] == "TOKEN_COUNTS"
        assert node["related_lorebooks"] == []

    async def test_name_lookup_ignores_case_and_follows_renames(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        await create_project(session, alice, name="Follow")

        await client.post(
            "/api/self/username", json={"username": "alicia"}, headers=alice.headers
        )
        old = await client.get("/api/characters/alice/follow")
        node = await node_of(client, "ALICIA/follow")

        assert old.status_code == 404
        assert node["fullPath"] == "alicia/follow"

    async def test_lorebook_is_not_a_character(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks", name="Book")

        as_character = await client.get(f"/api/characters/{book.id}")
        as_lorebook = await client.get(f"/api/lorebooks/{book.id}")
        as_project = await client.get(f"/api/project/{book.id}")

        assert as_character.status_code == 404
        assert as_lorebook.json()["node"]["fullPath"].startswith("lorebooks/")
        assert as_project.status_code == 200

    @pytest.mark.parametrize("project_id", ["0", "-3", str(2**63), "abc"])
    async def test_bad_ids_are_422(self, client: AsyncClient, project_id: str) -> None:
        response = await client.get(f"/api/project/{project_id}")

        assert response.status_code == 422

    async def test_unknown_id_is_404(self, client: AsyncClient) -> None:
        response = await client.get("/api/project/999999999")

        assert response.status_code == 404
        assert response.json()["errorCode"] == 404


class TestLorebooks:
    async def test_create_update_and_export(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        body = {
            "name": "Atlas",
            "description": "Places",
            "entries": [{"keys": ["harbor"], "content": "The harbor is busy."}],
        }

        created = await client.post(
            "/api/core/lorebooks", json=body, headers=alice.headers
        )
        project_id = created.json()["id"]
        updated = await client.put(
            f"/api/core/lorebooks/{project_id}",
            json={"entries": [{"keys": ["gate"], "content": "The gate is shut."}]},
            headers=alice.headers,
        )
        exported = await client.get(
            "/api/lorebooks/alice/atlas/export", params={"format": "v3"}
        )

        assert created.json()["fullPath"] == "lorebooks/alice/atlas"
        assert updated.status_code == 200
        data = exported.json()["data"]
        assert exported.json()["spec"] == "lorebook_v3"
        assert [e["keys"] for e in data["entries"]] == [["gate"]]

    async def test_put_on_a_character_is_400(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        character = await create_project(session, alice)

        response = await client.put(
            f"/api/core/lorebooks/{character.id}",
            json={"name": "x"},
            headers=alice.headers,
        )

        assert response.status_code == 400


class TestLinks:
    async def test_link_and_unlink(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        character = await create_project(session, alice, name="Hero")
        book = await create_project(session, alice, kind="lorebooks", name="World")
        path = f"/api/core/characters/link/alice/hero/lorebook/{book.id}"

        linked = await client.post(path, headers=alice.headers)
        during = await node_of(client, "alice/hero")
        await client.delete(path, headers=alice.headers)
        after = await node_of(client, f"alice/{character.id}")

        assert linked.json()["success"] is True
        assert during["related_lorebooks"] == [book.id]
        assert during["has_lore"] is True
        assert after["related_lorebooks"] == []

    async def test_linking_a_character_is_400(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        await create_project(session, alice, name="Hero")
        other = await create_project(session, alice, name="Other")

        response = await client.post(
            f"/api/core/characters/link/alice/hero/lorebook/{other.id}",
            headers=alice.headers,
        )

        assert response.status_code == 400

    async def test_someone_elses_private_lorebook_is_404(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        bob = await create_user(session)
        await create_project(session, alice, name="Hero")
        book = await create_project(
            session, bob, kind="lorebooks", visibility="private"
        )

        response = await client.post(
            f"/api/core/characters/link/alice/hero/lorebook/{book.id}",
            headers=alice.headers,
        )

        assert response.status_code == 404

    async def test_only_the_owner_links(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        bob = await create_user(session)
        await create_project(session, alice, name="Hero")
        book = await create_project(session, bob, kind="lorebooks")

        response = await client.post(
            f"/api/core/characters/link/alice/hero/lorebook/{book.id}",
            headers=bob.headers,
        )

        assert response.status_code == 403


class TestMetadataAndDelete:
    async def test_metadata(self, client: AsyncClient, session: AsyncSession) -> None:
        alice = await create_user(session, username="alice")
        project = await create_project(session, alice, name="Meta", topics=["Old"])

        response = await client.put(
            f"/api/project/{project.id}/metadata",
            json={
                "name": "Meta 2",
                "tagline": "new line",
                "description": "page text",
                "topics": "New, Other",
                "visibility": "unlisted",
                "nsfw": True,
            },
            headers=alice.headers,
        )
        node = await node_of(client, f"alice/{project.id}")

        assert response.status_code == 200
        assert node["name"] == "Meta 2"
        assert node["tagline"] == "new line"
        assert node["description"] == "page text"
        assert node["topics"] == ["New", "Other", "NSFW"]
        assert node["visibility"] == "unlisted"

    async def test_metadata_by_someone_else_is_403(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        bob = await create_user(session)
        project = await create_project(session, alice)

        response = await client.put(
            f"/api/project/{project.id}/metadata",
            json={"name": "Mine now"},
            headers=bob.headers,
        )

        assert response.status_code == 403

    async def test_delete(self, client: AsyncClient, session: AsyncSession) -> None:
        alice = await create_user(session)
        bob = await create_user(session)
        project_id = (await create_project(session, alice)).id

        refused = await client.delete(f"/api/project/{project_id}", headers=bob.headers)
        deleted = await client.delete(
            f"/api/project/{project_id}", headers=alice.headers
        )
        after = await client.get(f"/api/project/{project_id}")

        assert refused.status_code == 403
        assert deleted.json()["success"] is True
        assert after.status_code == 404


class TestFilesFollowDeletes:
    async def test_deleting_a_project_removes_its_avatar_and_card(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        created = await client.post(
            "/api/core/characters",
            json={"name": "Gone", "avatar": avatar_data_url()},
            headers=alice.headers,
        )
        node = await node_of(client, created.json()["fullPath"])
        await client.get("/api/characters/alice/gone/card.png")
        media = client._transport.app.state.storage  # type: ignore[attr-defined]
        avatar_key = node["avatar_url"].split("/media/", 1)[1]
        cards = media.local_path(f"cards/{node['id']}")
        had_card = cards.is_dir() and any(cards.iterdir())

        await client.delete(f"/api/project/{node['id']}", headers=alice.headers)

        assert had_card
        assert not media.local_path(avatar_key).exists()
        assert not cards.exists()

    async def test_deleting_an_account_removes_its_files_and_ratings(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        bob = await create_user(session, username="bob")
        created = await client.post(
            "/api/core/characters",
            json={"name": "Hers", "avatar": avatar_data_url()},
            headers=alice.headers,
        )
        bobs = await create_project(session, bob, name="His")
        bobs_id = bobs.id
        await client.post(
            f"/api/project/{bobs_id}/rate", json={"rating": 4}, headers=alice.headers
        )
        await client.post(f"/api/favorites/{bobs_id}", headers=alice.headers)
        node = await node_of(client, created.json()["fullPath"])
        media = client._transport.app.state.storage  # type: ignore[attr-defined]
        avatar = media.local_path(node["avatar_url"].split("/media/", 1)[1])

        deleted = await client.delete("/api/account", headers=alice.headers)
        his = await node_of(client, f"bob/{bobs_id}")

        assert deleted.status_code == 200
        assert not avatar.exists()
        assert his["ratingCount"] == 0
        assert his["n_favorites"] == 0
