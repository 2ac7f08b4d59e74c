"""Queries through the real MiniLM (shipped in a package) on a world of our own."""

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.cards import LorebookEntry
from tests.factories import create_project, create_user
from tests.lore.helpers import WORLD, add_text, ask


async def world(session: AsyncSession, entries: list[LorebookEntry] = WORLD) -> int:
    alice = await create_user(session)
    book = await create_project(session, alice, kind="lorebooks", entries=entries)
    return book.id


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [result["name"] for result in response.json()["results"]]


class TestSemantic:
    @pytest.mark.parametrize(
        ("question", "expected"),
        [
            ("Is it easy to get lost in the foggy swamp woods?", "Mirewood"),
            ("What creatures stalk the wetlands when the sun sets?", "Marsh hounds"),
            ("Where do scribes make copies of maps?", "Lantern Hall"),
            ("Who can heal my injuries?", "Orla"),
        ],
    )
    async def test_meaning_finds_the_entry_first(
        self, client: AsyncClient, session: AsyncSession, question: str, expected: str
    ) -> None:
        owner = await world(session)

        response = await ask(client, owner_ids=[owner], query=question, mode="semantic")

        assert names(response)[0] == expected

    async def test_results_carry_scores_and_reasons(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        owner = await world(session)

        response = await ask(
            client, owner_ids=[owner], query="healing magic", mode="semantic"
        )

        top = response.json()["results"][0]
        assert 0 < top["score"] == top["similarity"] <= 1
        assert top["reason"].startswith("semantic: similarity")
        assert top["matched_keys"] == []
        assert set(top) >= {"uuid", "item_uuid", "owner_id", "content"}

    async def test_min_score_drops_weak_matches(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        owner = await world(session)

        response = await ask(
            client, owner_ids=[owner], query="healing", mode="semantic", min_score=0.99
        )

        assert response.json()["results"] == []

    async def test_first_limits_results(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        owner = await world(session)

        response = await ask(
            client, owner_ids=[owner], query="places", mode="semantic", first=2
        )

        assert len(response.json()["results"]) == 2

    async def test_messages_use_the_latest_turns(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        owner = await world(session)
        messages = [
            {"role": "user", "content": "Let us talk about the guild of scribes."},
            {"role": "assistant", "content": "Very well."},
            {"role": "user", "content": "Actually, who could fix my broken arm?"},
        ]

        response = await ask(
            client, owner_ids=[owner], messages=messages, mode="semantic", first=1
        )

        assert names(response) == ["Orla"]

    async def test_text_passages_are_found(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")
        book_id = book.id
        await add_text(
            client, alice.headers, book_id, "The harbour freezes every winter."
        )
        await add_text(client, alice.headers, book_id, "Bread costs two copper coins.")

        response = await ask(
            client, owner_ids=[book_id], query="Is the port icy in the cold months?"
        )

        top = response.json()["results"][0]
        assert top["content"] == "The harbour freezes every winter."
        assert top["kind"] == "text"

    async def test_disabled_entries_are_never_found(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        disabled = LorebookEntry(
            keys=["Orla"], name="Orla", content=WORLD[3].content, enabled=False
        )
        owner = await world(session, [WORLD[0], disabled])

        response = await ask(client, owner_ids=[owner], query="Orla heals wounds")

        assert "Orla" not in names(response)


class TestKeyword:
    async def test_keys_find_entries(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        owner = await world(session)

        response = await ask(
            client, owner_ids=[owner], query="We meet at LANTERN HALL.", mode="keyword"
        )

        result = response.json()["results"][0]
        assert result["name"] == "Lantern Hall"
        assert result["matched_keys"] == ["Lantern Hall"]
        assert result["score"] == 1.0
        assert result["similarity"] is None
        assert "keyword: matched 'Lantern Hall'" in result["reason"]

    async def test_meaning_alone_finds_nothing(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        owner = await world(session)

        response = await ask(
            client, owner_ids=[owner], query="who heals wounds?", mode="keyword"
        )

        assert response.json()["results"] == []

    async def test_constant_entries_always_come(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        always = LorebookEntry(keys=["sky"], content="The sky is green.", constant=True)
        owner = await world(session, [WORLD[0], always])

        response = await ask(client, owner_ids=[owner], query="hi", mode="keyword")

        result = response.json()["results"][0]
        assert result["content"] == "The sky is green."
        assert "constant" in result["reason"]

    async def test_selective_logic_and_regex(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        entries = [
            LorebookEntry(
                keys=["gate"],
                secondary_keys=["night"],
                selective=True,
                selective_logic="not_any",
                content="By day the gate stands open.",
            ),
            LorebookEntry(
                keys=[r"dra(g|k)ons?"], use_regex=True, content="Dragons sleep."
            ),
        ]
        owner = await world(session, entries)

        day = await ask(
            client, owner_ids=[owner], query="the gate, drakons", mode="keyword"
        )
        night = await ask(
            client, owner_ids=[owner], query="the gate at night", mode="keyword"
        )

        assert len(day.json()["results"]) == 2
        assert night.json()["results"] == []


class TestHybrid:
    async def test_keyword_and_meaning_are_fused_with_reasons(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        owner = await world(session)

        response = await ask(
            client, owner_ids=[owner], query="Orla, can you heal my wounds?"
        )

        top = response.json()["results"][0]
        assert top["name"] == "Orla"
        assert top["matched_keys"] == ["Orla"]
        assert "keyword:" in top["reason"]
        assert "semantic:" in top["reason"]
        assert top["score"] == pytest.approx(1.0)

    async def test_meaning_fills_in_without_keys(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        owner = await world(session)

        response = await ask(
            client, owner_ids=[owner], query="What hunts in the bogs at dusk?"
        )

        assert names(response)[0] == "Marsh hounds"

    async def test_anonymous_reads_public_lore(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        owner = await world(session)

        response = await ask(client, owner_ids=[owner], query="Mirewood")

        assert response.status_code == 200
        assert names(response)[0] == "Mirewood"
