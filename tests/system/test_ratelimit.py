from collections.abc import AsyncIterator

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.db import get_session
from app.kit.redis import create_redis
from app.main import create_app
from tests.factories import create_user


@pytest.fixture
async def limited(
    settings: Settings, engine: AsyncEngine, session: AsyncSession
) -> AsyncIterator[AsyncClient]:
    app = create_app(
        settings.model_copy(
            update={
                "rate_limit_enabled": True,
                "rate_limit_per_key": "3/minute",
                "rate_limit_per_address": "2/minute",
            }
        )
    )
    app.state.engine = engine
    app.state.redis = create_redis(settings)
    for key in await app.state.redis.keys("LIMITS*"):
        await app.state.redis.delete(key)

    async def test_session() -> AsyncIterator[AsyncSession]:
        await session.commit()
        yield session

    app.dependency_overrides[get_session] = test_session
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
    await app.state.redis.aclose()


class TestRateLimits:
    async def test_per_address_for_anonymous_calls(self, limited: AsyncClient) -> None:
        statuses = [
            (await limited.get("/api/users/nobody")).status_code for _ in range(3)
        ]
        refused = await limited.get("/api/users/nobody")

        assert statuses[:2] == [404, 404]
        assert statuses[2] == 429
        assert refused.json()["errorCode"] == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60

    async def test_per_key_counts_apart_from_the_address(
        self, limited: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        statuses = [
            (await limited.get("/api/self", headers=alice.headers)).status_code
            for _ in range(4)
        ]

        assert statuses == [200, 200, 200, 429]

    async def test_health_is_never_limited(self, limited: AsyncClient) -> None:
        statuses = {(await limited.get("/livez")).status_code for _ in range(5)}

        assert statuses == {200}
