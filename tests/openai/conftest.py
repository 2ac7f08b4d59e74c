from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from tests.openai.live import Live, fake_upstream, serve_app


@pytest.fixture(scope="session")
def upstream() -> Iterator[str]:
    """The base URL of a fake OpenAI-compatible server, a process of its own."""
    with fake_upstream() as url:
        yield url


@pytest.fixture
def proxy_settings(settings: Settings, upstream: str) -> Settings:
    return settings.model_copy(
        update={
            "llm_base_url": f"{upstream}/v1",
            "llm_model_map": {"gpt-4o-mini": "fake-other"},
        }
    )


@pytest.fixture
async def live(
    proxy_settings: Settings, engine: AsyncEngine, session: AsyncSession
) -> AsyncIterator[Live]:
    """The hub on a loopback port, forwarding /v1 to the fake upstream."""
    async with serve_app(proxy_settings, engine, session) as served:
        yield served
