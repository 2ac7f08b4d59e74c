"""/v1 with the embedded SmolLM2-135M-Instruct, through the `openai` client.

The model is converted from its GGUF file once per machine (into a cache kept
between runs) and loaded once for the whole class; replies are a few tokens.
"""

import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import openai
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from tests.factories import create_project, create_user
from tests.openai.live import serve_app

# Outside the per-session data directory, so only the first run converts.
CACHE = Path(tempfile.gettempdir()) / "rostro-llm-cache"
# A request the model answers at length, greedily.
COUNTING = "Count from 1 to 1000, one number per line, and say nothing else."


@pytest.fixture
async def local(
    settings: Settings, engine: AsyncEngine, session: AsyncSession
) -> AsyncIterator[openai.AsyncOpenAI]:
    owner = await create_user(session, username="wren")
    await create_project(
        session,
        owner,
        name="Wren",
        description="{{char}} is a lighthouse keeper.",
        first_mes="The lamp is lit, {{user}}.",
    )
    local_settings = settings.model_copy(
        update={"llm_local_cache_dir": CACHE, "llm_local_threads": 1}
    )
    async with serve_app(local_settings, engine, session) as served:
        url = f"{served.url}/v1"
        async with openai.AsyncOpenAI(
            base_url=url, api_key=owner.key, max_retries=0, timeout=600
        ) as client:
            yield client


class TestLocalModel:
    async def test_chat_with_character_streamed_and_not(
        self, local: openai.AsyncOpenAI
    ) -> None:
        messages = [{"role": "user", "content": "Is the lamp lit?"}]

        reply = await local.chat.completions.create(
            model="character/wren/wren",
            messages=messages,
            max_tokens=4,  # type: ignore[arg-type]
        )
        stream = await local.chat.completions.create(
            model="character/wren/wren",
            messages=messages,  # type: ignore[arg-type]
            max_tokens=4,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
        models = await local.models.list()

        assert reply.model == "character/wren/wren"
        assert reply.choices[0].message.content
        assert reply.choices[0].finish_reason in ("length", "stop")
        assert reply.usage is not None
        assert reply.usage.completion_tokens <= 4
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert chunks[-1].usage is not None
        assert chunks[-1].usage.prompt_tokens > 10
        assert [m.id for m in models.data][:2] == [
            "SmolLM2-135M-Instruct",
            "character/wren/wren",
        ]

    async def test_text_completion_and_unknown_model(
        self, local: openai.AsyncOpenAI
    ) -> None:
        reply = await local.completions.create(
            model="SmolLM2-135M-Instruct", prompt="The sea is", max_tokens=3
        )
        with pytest.raises(openai.NotFoundError):
            await local.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
            )

        assert reply.choices[0].text


class TestClientGoingAway:
    async def test_an_abandoned_stream_stops_its_generation(
        self, local: openai.AsyncOpenAI
    ) -> None:
        # At the model's speed here, 400 tokens take many seconds; the next
        # request only gets the model once the abandoned one has stopped.
        body = {
            "model": "SmolLM2-135M-Instruct",
            "messages": [{"role": "user", "content": COUNTING}],
            "max_tokens": 400,
            "stream": True,
        }
        headers = {"Authorization": f"Bearer {local.api_key}"}
        async with (
            httpx.AsyncClient(headers=headers, timeout=60) as http,
            http.stream(
                "POST", f"{local.base_url}chat/completions", json=body
            ) as response,
        ):
            async for line in response.aiter_lines():
                if '"content": "' in line and '"content": ""' not in line:
                    break
        started = time.monotonic()

        await local.chat.completions.create(
            model="SmolLM2-135M-Instruct",
            messages=[{"role": "user", "content": "Hi"}],
            max_tokens=1,
        )

        assert time.monotonic() - started < 5
