"""The migration history: one head, and every revision goes down and up again."""

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from app.config import Settings
from app.migrate import alembic_config
from tests.databases import create_database, drop_database


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        )
        found = {row[0] for row in rows}
    await engine.dispose()
    return found


@pytest.fixture
def scratch_url(settings: Settings) -> Iterator[str]:
    assert settings.database_url is not None
    server = settings.database_url.get_secret_value()
    name = "rostro_migrations_" + uuid.uuid4().hex[:8]
    yield asyncio.run(create_database(server, name))
    asyncio.run(drop_database(server, name))


class TestMigrations:
    def test_there_is_one_head(self) -> None:
        script = ScriptDirectory.from_config(alembic_config())

        assert len(script.get_heads()) == 1

    def test_down_to_base_and_up_again(self, scratch_url: str) -> None:
        config = alembic_config(scratch_url)

        command.upgrade(config, "head")
        full = asyncio.run(_tables(scratch_url))
        command.downgrade(config, "base")
        empty = asyncio.run(_tables(scratch_url))
        command.upgrade(config, "head")
        again = asyncio.run(_tables(scratch_url))

        assert {"users", "projects", "tags"} <= full
        assert empty <= {"alembic_version"}
        assert again == full

    async def test_no_enum_types(self, session: AsyncSession) -> None:
        # asyncpg looks enum types up on each new connection: text and CHECKs.
        found = await session.scalars(
            text("SELECT typname FROM pg_type WHERE typtype = 'e'")
        )

        assert list(found) == []
