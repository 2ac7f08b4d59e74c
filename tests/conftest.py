"""Test fixtures: a real PostgreSQL with pgvector and a real Redis.

The embedded servers start once per session in a temporary directory, unless
ROSTRO_DATABASE_URL (and ROSTRO_REDIS_URL) point at servers of your own; then
the tests use a database of their own, ``rostro_test``, on that server.
"""

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings, get_settings
from app.db import async_url, create_engine, get_session, run_after_commit
from app.embedded import start_postgres, start_redis
from app.kit.redis import create_redis
from app.main import create_app
from app.migrate import upgrade_to_head
from tests.databases import create_database

TEST_DATABASE = "rostro_test"


@pytest.fixture(scope="session")
def servers() -> Iterator[tuple[str, str]]:
    """The async URL of a fresh, migrated test database, and a Redis URL."""
    configured = get_settings()
    directory = Path(tempfile.mkdtemp(prefix="rostro-test-"))
    stops = []
    if configured.database_url is not None:
        server_url = async_url(configured.database_url.get_secret_value())
    else:
        postgres = start_postgres(directory)
        stops.append(postgres.stop)
        server_url = async_url(postgres.url)
    if configured.redis_url is not None:
        redis_url = configured.redis_url
    else:
        redis = start_redis(directory)
        stops.append(redis.stop)
        redis_url = redis.url

    database_url = asyncio.run(create_database(server_url, TEST_DATABASE))
    upgrade_to_head(database_url)
    yield database_url, redis_url

    for stop in reversed(stops):
        stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(
    servers: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    database_url, redis_url = servers
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        data_dir=tmp_path_factory.mktemp("data"),
        open_registration=True,
        # Limits have tests of their own; elsewhere they would only get in the way.
        rate_limit_enabled=False,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)  # as the app makes it: the same settings
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection,
            expire_on_commit=False,
            autoflush=False,
            join_transaction_mode="create_savepoint",
        )
        yield session
        await session.close()
        await transaction.rollback()


@pytest.fixture
async def client(
    settings: Settings, engine: AsyncEngine, session: AsyncSession
) -> AsyncIterator[AsyncClient]:
    app = create_app(settings)
    app.state.engine = engine
    app.state.redis = create_redis(settings)

    async def test_session() -> AsyncIterator[AsyncSession]:
        # Each request commits or rolls back a savepoint of the test's transaction;
        # what the test wrote before the request is kept apart from it.
        await session.commit()
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()
        await run_after_commit(session)

    app.dependency_overrides[get_session] = test_session
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
    await app.state.redis.aclose()


@pytest.fixture
def embedded_data_dir() -> Iterator[Path]:
    """A data directory for a `rostro serve` process under test.

    Not under pytest's tmp_path: the embedded PostgreSQL runs as another user,
    who must be able to reach its folder, and pytest keeps its own private.
    """
    directory = Path(tempfile.mkdtemp(prefix="rostro-serve-"))
    yield directory / "data"
    shutil.rmtree(directory, ignore_errors=True)
