"""/v1 through an upstream: the official `openai` client against the hub on a
loopback port, the hub against a fake OpenAI-compatible server process."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import openai
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.cards import Lorebook, LorebookEntry
from app.config import Settings
from tests.factories import Caller, create_project, create_user
from tests.openai.live import Live, free_port, serve_app

Clients = Callable[[Live, str], openai.AsyncOpenAI]


@pytest.fixture
async def client() -> AsyncIterator[Clients]:
    """Makes `openai` clients for a server and key, and closes them after."""
    made: list[openai.AsyncOpenAI] = []

    def make(live: Live, key: str) -> openai.AsyncOpenAI:
        made.append(
            openai.AsyncOpenAI(base_url=f"{live.url}/v1", api_key=key, max_retries=0)
        )
        return made[-1]

    yield make
    for one in made:
        await one.close()


def echoed(content: str | None) -> dict[str, Any]:
    """The request body the fake upstream received, which it answers with."""
    assert content is not None
    body: dict[str, Any] = json.loads(content)
    return body


async def make_mira(session: AsyncSession, owner: Caller, **overrides: Any) -> None:
    fields: dict[str, Any] = {
        "name": "Mira",
        "description": "{{char}} is a ferry pilot on the lake of Vell.",
        "personality": "wry, patient",
        "scenario": "{{user}} boards {{char}}'s ferry at dusk.",
        "first_mes": "Evening, {{user}}. Mind the rope.",
        "mes_example": "<START>\n{{user}}: Is it deep?\n{{char}}: Deep enough.",
        "system_prompt": "You are {{char}}. Stay in character.",
        "post_history_instructions": "Answer in two sentences at most.",
    }
    fields.update(overrides)
    await create_project(session, owner, **fields)


@pytest.fixture
async def alice(session: AsyncSession) -> Caller:
    return await create_user(session, username="alice")


class TestChatWithModel:
    async def test_plain_model_goes_through_with_unknown_fields(
        self, client: Clients, live: Live, alice: Caller
    ) -> None:
        reply = await client(live, alice.key).chat.completions.create(
            model="fake-model",
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"top_k": 7},
        )

        sent = echoed(reply.choices[0].message.content)
        assert sent["model"] == "fake-model"
        assert sent["messages"] == [{"role": "user", "content": "hi"}]
        assert sent["top_k"] == 7

    async def test_mapped_model_name(
        self, client: Clients, live: Live, alice: Caller
    ) -> None:
        reply = await client(live, alice.key).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )

        assert echoed(reply.choices[0].message.content)["model"] == "fake-other"

    async def test_streams_chunks_then_done(
        self, client: Clients, live: Live, alice: Caller
    ) -> None:
        stream = await client(live, alice.key).chat.completions.create(
            model="fake-model",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
        )
        pieces = [c.choices[0].delta.content async for c in stream if c.choices]

        assert len(pieces) >= 2
        assert echoed("".join(p or "" for p in pieces))["stream"] is True

    async def test_text_completion(
        self, client: Clients, live: Live, alice: Caller
    ) -> None:
        reply = await client(live, alice.key).completions.create(
            model="fake-model", prompt="Once upon", max_tokens=5
        )

        assert echoed(reply.choices[0].text)["prompt"] == "Once upon"


class TestPlayingCharacter:
    async def test_prompt_from_card_with_names_filled(
        self, client: Clients, live: Live, alice: Caller, session: AsyncSession
    ) -> None:
        await make_mira(session, alice)

        reply = await client(live, alice.key).chat.completions.create(
            model="character/alice/mira",
            messages=[{"role": "user", "content": "Take me across."}],
        )

        messages = echoed(reply.choices[0].message.content)["messages"]
        system = messages[0]["content"]
        assert messages[0]["role"] == "system"
        assert system.startswith("You are Mira. Stay in character.")
        assert "Mira is a ferry pilot on the lake of Vell." in system
        assert "Mira's personality: wry, patient" in system
        assert "Scenario: alice boards Mira's ferry at dusk." in system
        assert "alice: Is it deep?\nMira: Deep enough." in system
        assert messages[1] == {
            "role": "assistant",
            "content": "Evening, alice. Mind the rope.",
        }
        assert messages[2] == {"role": "user", "content": "Take me across."}
        assert messages[3] == {
            "role": "system",
            "content": "Answer in two sentences at most.",
        }

    async def test_no_greeting_once_the_character_spoke(
        self, client: Clients, live: Live, alice: Caller, session: AsyncSession
    ) -> None:
        await make_mira(session, alice)
        chat = [
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "Go.", "name": "Bo"},
        ]

        reply = await client(live, alice.key).chat.completions.create(
            model="character/alice/mira", messages=chat
        )

        messages = echoed(reply.choices[0].message.content)["messages"]
        assert [m["content"] for m in messages[1:3]] == ["Hello.", "Go."]
        assert "Scenario: Bo boards" in messages[0]["content"]

    async def test_long_chat_keeps_the_newest_within_budget(
        self, client: Clients, live: Live, alice: Caller, session: AsyncSession
    ) -> None:
        await make_mira(session, alice)
        chat = [
            {"role": "user", "content": f"turn {i} " + "word " * 200} for i in range(60)
        ]

        reply = await client(live, alice.key).chat.completions.create(
            model="character/alice/mira", messages=chat, max_tokens=100
        )

        messages = echoed(reply.choices[0].message.content)["messages"]
        kept = [m["content"] for m in messages if m["content"].startswith("turn ")]
        assert kept[-1].startswith("turn 59 ")
        assert 5 < len(kept) < 60

    async def test_lore_selected_for_the_recent_messages(
        self, client: Clients, live: Live, alice: Caller, session: AsyncSession
    ) -> None:
        entry = LorebookEntry(
            keys=["lantern"],
            content="The lantern of Vell burns green when the dead are near.",
        )
        await make_mira(session, alice, character_book=Lorebook(entries=[entry]))

        reply = await client(live, alice.key).chat.completions.create(
            model="character/alice/mira",
            messages=[{"role": "user", "content": "Why is the lantern green?"}],
        )

        system = echoed(reply.choices[0].message.content)["messages"][0]["content"]
        assert "The lantern of Vell burns green" in system

    async def test_streamed_chat_with_character(
        self, client: Clients, live: Live, alice: Caller, session: AsyncSession
    ) -> None:
        await make_mira(session, alice)

        stream = await client(live, alice.key).chat.completions.create(
            model="character/alice/mira",
            messages=[{"role": "user", "content": "Hi"}],
            stream=True,
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream])

        assert echoed(text)["messages"][0]["role"] == "system"

    async def test_text_completion_with_character(
        self, client: Clients, live: Live, alice: Caller, session: AsyncSession
    ) -> None:
        await make_mira(session, alice)

        reply = await client(live, alice.key).completions.create(
            model="character/alice/mira", prompt="Mira says:"
        )

        prompt = echoed(reply.choices[0].text)["prompt"]
        assert prompt.startswith("You are Mira.")
        assert prompt.endswith("\n\nMira says:")


class TestErrors:
    async def test_private_character_of_another_is_not_found(
        self, client: Clients, live: Live, alice: Caller, session: AsyncSession
    ) -> None:
        bob = await create_user(session, username="bob")
        await make_mira(session, bob, visibility="private")

        with pytest.raises(openai.NotFoundError) as caught:
            await client(live, alice.key).chat.completions.create(
                model="character/bob/mira",
                messages=[{"role": "user", "content": "Hi"}],
            )

        assert caught.value.code == "model_not_found"
        assert caught.value.body["param"] == "model"  # type: ignore[index]

    async def test_unknown_key_is_401(self, client: Clients, live: Live) -> None:
        with pytest.raises(openai.AuthenticationError) as caught:
            await client(live, "rst_nope").chat.completions.create(
                model="fake-model", messages=[{"role": "user", "content": "Hi"}]
            )

        assert caught.value.code == "invalid_api_key"

    async def test_no_key_is_401(self, live: Live) -> None:
        body = {"model": "fake-model", "messages": [{"role": "user", "content": "x"}]}

        async with httpx.AsyncClient() as http:
            response = await http.post(f"{live.url}/v1/chat/completions", json=body)

        assert response.status_code == 401
        assert set(response.json()["error"]) == {"message", "type", "param", "code"}

    async def test_malformed_body_is_400_naming_the_parameter(
        self, live: Live, alice: Caller
    ) -> None:
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{live.url}/v1/chat/completions",
                json={"model": "fake-model", "messages": [], "temperature": 9},
                headers={"Authorization": f"Bearer {alice.key}"},
            )

        assert response.status_code == 400
        assert response.json()["error"]["param"] in ("messages", "temperature")

    async def test_upstream_refusal_keeps_its_status_and_message(
        self, client: Clients, live: Live, alice: Caller
    ) -> None:
        with pytest.raises(openai.BadRequestError) as caught:
            await client(live, alice.key).chat.completions.create(
                model="refuse", messages=[{"role": "user", "content": "Hi"}]
            )

        assert caught.value.body["message"] == "no such thing"  # type: ignore[index]

    async def test_upstream_down_is_502(
        self,
        client: Clients,
        alice: Caller,
        session: AsyncSession,
        settings: Settings,
        engine: AsyncEngine,
    ) -> None:
        down = settings.model_copy(
            update={"llm_base_url": f"http://127.0.0.1:{free_port()}/v1"}
        )
        async with serve_app(down, engine, session) as served:
            with pytest.raises(openai.InternalServerError) as caught:
                await client(served, alice.key).chat.completions.create(
                    model="x", messages=[{"role": "user", "content": "Hi"}]
                )

        assert caught.value.status_code == 502


class TestModels:
    async def test_lists_upstream_models_and_visible_characters(
        self, client: Clients, live: Live, alice: Caller, session: AsyncSession
    ) -> None:
        bob = await create_user(session, username="bob")
        await make_mira(session, alice, visibility="private")
        await make_mira(session, bob, name="Tam", visibility="public")
        await make_mira(session, bob, name="Hidden", visibility="private")

        page = await client(live, alice.key).models.list()

        ids = {model.id for model in page.data}
        assert {"fake-model", "character/alice/mira", "character/bob/tam"} <= ids
        assert "character/bob/hidden" not in ids

    async def test_pages_with_limit_and_after(
        self, live: Live, alice: Caller, session: AsyncSession
    ) -> None:
        for name in ("One", "Two", "Three"):
            await make_mira(session, alice, name=name)

        async with httpx.AsyncClient(base_url=f"{live.url}/v1") as http:
            first = (await http.get("/models", params={"limit": 2})).json()
            second = (
                await http.get(
                    "/models", params={"limit": 2, "after": first["next_cursor"]}
                )
            ).json()

        characters = [m["id"] for m in first["data"] + second["data"]]
        assert first["has_more"] is True
        assert {
            "character/alice/one",
            "character/alice/two",
            "character/alice/three",
        } <= set(characters)

    async def test_retrieve_a_character_model(
        self, client: Clients, live: Live, alice: Caller, session: AsyncSession
    ) -> None:
        await make_mira(session, alice)

        model = await client(live, alice.key).models.retrieve("character/alice/mira")

        assert model.owned_by == "alice"


class TestCancellation:
    async def test_client_going_away_ends_the_upstream_stream(
        self, live: Live, alice: Caller, upstream: str
    ) -> None:
        async with httpx.AsyncClient() as http:
            before = (await http.get(f"{upstream}/stats")).json()["streams_abandoned"]
            async with http.stream(
                "POST",
                f"{live.url}/v1/chat/completions",
                json={
                    "model": "fake-model",
                    "messages": [{"role": "user", "content": "x"}],
                    "stream": True,
                    "delay": 5,
                },
                headers={"Authorization": f"Bearer {alice.key}"},
            ) as response:
                async for _ in response.aiter_bytes():
                    break
            abandoned = before
            for _ in range(50):
                abandoned = (await http.get(f"{upstream}/stats")).json()[
                    "streams_abandoned"
                ]
                if abandoned > before:
                    break
                await asyncio.sleep(0.1)

        assert abandoned == before + 1
