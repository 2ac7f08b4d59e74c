import json
from typing import Any

import pytest
from httpx import AsyncClient
from kombu.exceptions import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from app.cards import Lorebook, LorebookEntry
from app.config import Settings
from app.lore import queue
from app.media.storage import LocalStorage
from app.projects import service as projects
from app.projects.definitions import store_lorebook
from tests.factories import create_project, create_user
from tests.lore.helpers import (
    WORLD,
    add_text,
    ask,
    entry_body,
    error_shape,
    lorebook_v3,
)


async def items_of(client: AsyncClient, *owner_ids: int, **kw: Any) -> list[Any]:
    response = await client.get(
        "/lore/items", params={"owner_ids": list(owner_ids)}, **kw
    )
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


class TestAddItem:
    async def test_text_is_embedded_before_the_answer(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")

        response = await add_text(
            client, alice.headers, book.id, "The river is cold.", name="River"
        )

        body = response.json()
        assert response.status_code == 200, body
        assert body["status"] == "ready"
        assert body["n_passages"] == 1
        assert body["content"] == "The river is cold."
        assert body["owner_id"] == book.id
        assert body["items"][0]["uuid"] == body["uuid"]

    async def test_markdown_file(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")

        response = await client.post(
            "/lore/item",
            data={"owner_id": str(book.id)},
            files={"file": ("notes.md", b"# Notes\n\nThe moon is red.")},
            headers=alice.headers,
        )
        items = await items_of(client, book.id)

        assert response.status_code == 200, response.text
        assert response.json()["name"] == "notes.md"
        assert items[0]["content"] == "# Notes\n\nThe moon is red."
        assert items[0]["kind"] == "text"

    async def test_long_text_is_split_into_passages(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")
        text = "\n\n".join(
            f"Chapter {i}. " + "The road goes on. " * 40 for i in range(3)
        )

        response = await add_text(client, alice.headers, book.id, text)

        assert response.json()["n_passages"] > 2

    @pytest.mark.parametrize(
        "document",
        [
            lorebook_v3(
                entry_body(
                    keys=["moon"],
                    secondary_keys=["night"],
                    selective=True,
                    constant=False,
                    insertion_order=7,
                    position="after_char",
                    extensions={"selectiveLogic": 3},
                    content="The moon is red.",
                ),
                entry_body(keys=["sun"], content="The sun is black.", enabled=False),
            ),
            {
                "name": "World",
                "entries": {
                    "0": {
                        "uid": 0,
                        "key": ["moon"],
                        "keysecondary": ["night"],
                        "selective": True,
                        "selectiveLogic": 3,
                        "order": 7,
                        "position": 1,
                        "content": "The moon is red.",
                    },
                    "1": {
                        "uid": 1,
                        "key": ["sun"],
                        "content": "The sun is black.",
                        "disable": True,
                    },
                },
            },
        ],
        ids=["lorebook_v3", "world_info"],
    )
    async def test_lorebook_becomes_one_item_per_entry(
        self, client: AsyncClient, session: AsyncSession, document: dict[str, Any]
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")

        response = await client.post(
            "/lore/item",
            data={"owner_id": str(book.id)},
            files={"file": ("book.json", json.dumps(document).encode())},
            headers=alice.headers,
        )
        items = [i for i in await items_of(client, book.id) if i["source"] == "upload"]

        assert response.status_code == 200, response.text
        assert response.json()["n_items"] == 2
        moon, sun = items
        assert moon["keys"] == ["moon"]
        assert moon["secondary_keys"] == ["night"]
        assert moon["selective"] is True
        assert moon["selective_logic"] == "and_all"
        assert moon["order"] == 7
        assert moon["position"] in ("after_char", 1)
        assert sun["enabled"] is False

    async def test_character_book_in_content_field(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")
        character_book = {"entries": [entry_body(keys=["x"], content="X marks it.")]}

        response = await add_text(
            client, alice.headers, book.id, json.dumps(character_book)
        )

        assert response.status_code == 200, response.text
        assert response.json()["items"][0]["n_passages"] == 1

    async def test_large_upload_waits_for_the_worker(
        self,
        client: AsyncClient,
        session: AsyncSession,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(settings, "lore_inline_passages", 0)
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")

        response = await add_text(client, alice.headers, book.id, "Pending text.")
        found = await ask(client, owner_ids=[book.id], query="Pending text.")

        assert response.json()["status"] == "pending"
        assert found.json()["results"] == []

    async def test_large_upload_with_the_queue_down_is_503_and_not_kept(
        self,
        client: AsyncClient,
        session: AsyncSession,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(settings, "lore_inline_passages", 0)
        monkeypatch.setattr(queue, "_send", refuse_connection)
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")

        response = await add_text(client, alice.headers, book.id, "Lost text.")

        assert response.status_code == 503
        assert error_shape(response)
        assert await items_of(client, book.id, headers=alice.headers) == []


def refuse_connection(broker_url: str, owner_id: int) -> None:
    raise OperationalError("Error 111 connecting to the broker. Connection refused.")


class TestAddItemRefused:
    async def test_anonymous(self, client: AsyncClient, session: AsyncSession) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")

        response = await add_text(client, {}, book.id, "text")

        assert response.status_code == 401
        assert error_shape(response)

    async def test_someone_elses_public_project(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")

        response = await add_text(client, bob.headers, book.id, "text")

        assert response.status_code == 403
        assert error_shape(response)

    async def test_someone_elses_private_project(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        book = await create_project(
            session, alice, kind="lorebooks", visibility="private"
        )

        response = await add_text(client, bob.headers, book.id, "text")

        assert response.status_code == 404
        assert error_shape(response)

    async def test_no_content(self, client: AsyncClient, session: AsyncSession) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")

        response = await add_text(client, alice.headers, book.id, "   ")

        assert response.status_code == 400
        assert error_shape(response)

    async def test_file_and_content_together(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        book_id = (await create_project(session, alice, kind="lorebooks")).id

        response = await client.post(
            "/lore/item",
            data={"owner_id": str(book_id), "content": "The river is cold."},
            files={"file": ("notes.txt", b"The forest is old.")},
            headers=alice.headers,
        )
        listed = await client.get("/lore/items", params={"owner_ids": book_id})

        assert response.status_code == 400
        assert "not both" in response.json()["detail"]
        assert listed.json()["items"] == []

    async def test_binary_file(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")

        response = await client.post(
            "/lore/item",
            data={"owner_id": str(book.id)},
            files={"file": ("x.bin", b"\xff\xfe\x00\x81garbage")},
            headers=alice.headers,
        )

        assert response.status_code == 400
        assert error_shape(response)

    async def test_broken_lorebook_json(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")

        response = await client.post(
            "/lore/item",
            data={"owner_id": str(book.id)},
            files={"file": ("x.json", b'{"entries": [')},
            headers=alice.headers,
        )

        assert response.status_code == 400
        assert error_shape(response)

    async def test_bad_owner_id(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await add_text(client, alice.headers, 0, "text")

        assert response.status_code == 422

    async def test_unknown_owner(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await add_text(client, alice.headers, 2**40, "text")

        assert response.status_code == 404
        assert error_shape(response)


class TestListItems:
    async def test_json_body_as_the_spec_has_it(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")
        await add_text(client, alice.headers, book.id, "Body text.")

        response = await client.request(
            "GET", "/lore/items", json={"owner_ids": [book.id]}
        )

        assert response.status_code == 200, response.text
        item = response.json()["items"][0]
        assert item["content"] == "Body text."
        assert set(item) >= {"uuid", "owner_id", "name", "keys", "status", "created_at"}

    async def test_anyone_reads_public_lore(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")
        await add_text(client, alice.headers, book.id, "Public text.")

        items = await items_of(client, book.id)

        assert [i["content"] for i in items] == ["Public text."]

    async def test_private_lore_is_the_owners_alone(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        book = await create_project(
            session, alice, kind="lorebooks", visibility="private"
        )
        book_id = book.id
        await add_text(client, alice.headers, book_id, "Secret.")

        mine = await items_of(client, book_id, headers=alice.headers)
        theirs = await client.get(
            "/lore/items", params={"owner_ids": book_id}, headers=bob.headers
        )
        anonymous = await client.get("/lore/items", params={"owner_ids": book_id})

        assert len(mine) == 1
        assert theirs.status_code == anonymous.status_code == 404
        assert error_shape(theirs)

    async def test_pages_walk_every_item_once(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")
        entries = [entry_body(keys=[f"k{n}"], content=f"Entry {n}.") for n in range(7)]
        document = json.dumps(lorebook_v3(*entries)).encode()
        await client.post(
            "/lore/item",
            data={"owner_id": str(book.id)},
            files={"file": ("book.json", document)},
            headers=alice.headers,
        )

        pages = [
            (
                await client.get(
                    "/lore/items",
                    params={"owner_ids": book.id, "first": 3, "page": page},
                )
            ).json()
            for page in (1, 2, 3)
        ]

        contents = [i["content"] for page in pages for i in page["items"]]
        assert contents == [f"Entry {n}." for n in range(7)]
        assert [len(page["items"]) for page in pages] == [3, 3, 1]
        assert [page["has_more"] for page in pages] == [True, True, False]
        assert {page["count"] for page in pages} == {7}

    @pytest.mark.parametrize("params", [{"first": 0}, {"first": 1001}, {"page": 0}])
    async def test_page_limits(
        self, client: AsyncClient, session: AsyncSession, params: dict[str, int]
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")

        response = await client.get(
            "/lore/items", params={"owner_ids": book.id, **params}
        )

        assert response.status_code == 422

    async def test_no_owner_ids(self, client: AsyncClient) -> None:
        response = await client.get("/lore/items")

        assert response.status_code == 400
        assert error_shape(response)


class TestDeleteItem:
    async def test_owner_removes_an_item(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")
        added = (await add_text(client, alice.headers, book.id, "Gone soon.")).json()

        response = await client.delete(
            f"/lore/{book.id}/item/{added['uuid']}", headers=alice.headers
        )

        assert response.json() == {"message": "success", "success": True}
        assert await items_of(client, book.id) == []

    async def test_upload_uuid_removes_every_entry(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")
        document = lorebook_v3(entry_body(keys=["a"]), entry_body(keys=["b"]))
        added = await add_text(client, alice.headers, book.id, json.dumps(document))

        await client.delete(
            f"/lore/{book.id}/item/{added.json()['uuid']}", headers=alice.headers
        )

        assert await items_of(client, book.id) == []

    async def test_not_the_owner(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")
        added = (await add_text(client, alice.headers, book.id, "Mine.")).json()

        response = await client.delete(
            f"/lore/{book.id}/item/{added['uuid']}", headers=bob.headers
        )

        assert response.status_code == 403
        assert error_shape(response)

    async def test_unknown_item(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")

        response = await client.delete(
            f"/lore/{book.id}/item/1b6c5288-731c-4345-a756-1b02ee8e080f",
            headers=alice.headers,
        )

        assert response.status_code == 404
        assert error_shape(response)

    async def test_entry_of_the_projects_own_book(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks", entries=WORLD)
        item = (await items_of(client, book.id))[0]

        response = await client.delete(
            f"/lore/{book.id}/item/{item['uuid']}", headers=alice.headers
        )

        assert response.status_code == 409
        assert error_shape(response)


class TestQueryRefused:
    async def test_private_owner(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        book = await create_project(
            session, alice, kind="lorebooks", visibility="private", entries=WORLD
        )

        book_id = book.id

        theirs = await ask(client, bob.headers, owner_ids=[book_id], query="fog")
        anonymous = await ask(client, owner_ids=[book_id], query="fog")
        mine = await ask(client, alice.headers, owner_ids=[book_id], query="fog")

        assert theirs.status_code == anonymous.status_code == 404
        assert error_shape(theirs)
        assert mine.json()["results"]

    @pytest.mark.parametrize(
        "body",
        [
            {"owner_ids": [1]},
            {"owner_ids": [1], "query": "   "},
            {"owner_ids": [], "query": "x"},
            {"owner_ids": [1], "query": "x", "first": 51},
            {"owner_ids": [1], "query": "x", "mode": "fuzzy"},
            {"owner_ids": [0], "query": "x"},
        ],
    )
    async def test_bad_input(self, client: AsyncClient, body: dict[str, Any]) -> None:
        response = await client.post("/lore", json=body)

        assert response.status_code == 422
        assert isinstance(response.json()["detail"], list)


class TestOwnLorebooks:
    async def test_character_covers_its_book_and_linked_books(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        own = Lorebook(entries=[WORLD[0]])
        character = await create_project(session, alice, character_book=own)
        linked = await create_project(
            session, alice, kind="lorebooks", entries=[WORLD[1]]
        )
        await projects.link_lorebook(session, character, linked)

        response = await ask(
            client,
            owner_ids=[character.id],
            query="Mirewood marsh hounds",
            mode="keyword",
        )

        owners = {r["owner_id"] for r in response.json()["results"]}
        assert owners == {character.id, linked.id}

    async def test_private_linked_book_of_another_stays_hidden(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        character = await create_project(session, alice)
        hidden = await create_project(
            session, bob, kind="lorebooks", visibility="private", entries=[WORLD[1]]
        )
        await projects.link_lorebook(session, character, hidden)

        response = await ask(
            client, alice.headers, owner_ids=[character.id], query="marsh hounds"
        )

        assert response.json()["results"] == []

    async def test_new_definition_reindexes(
        self, client: AsyncClient, session: AsyncSession, tmp_path: Any
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks", entries=WORLD)
        await ask(client, owner_ids=[book.id], query="warm-up")
        before = {i["name"]: i for i in await items_of(client, book.id)}
        changed = [WORLD[0], LorebookEntry(keys=["tide"], content="The tide is high.")]

        await projects.replace_definition(
            session,
            LocalStorage(tmp_path),
            book,
            store_lorebook(Lorebook(entries=changed)),
        )
        after = {i["name"]: i for i in await items_of(client, book.id)}

        assert set(after) == {"Mirewood", ""}
        # The unchanged entry kept its vectors: ready without the worker.
        assert after["Mirewood"]["status"] == "ready"
        assert after["Mirewood"]["uuid"] != before["Mirewood"]["uuid"]
        assert after[""]["status"] == "pending"
