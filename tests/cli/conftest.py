"""Command-line tests run against a database of their own: what the commands
commit must not show up in other tests."""

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.config import Settings, get_settings
from app.migrate import upgrade_to_head


async def _create_database(server_url: str, name: str) -> str:
    engine = create_async_engine(
        server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    async with engine.connect() as connection:
        await connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await connection.execute(text(f"CREATE DATABASE {name}"))
    await engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def _drop_database(server_url: str, name: str) -> None:
    engine = create_async_engine(
        server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    async with engine.connect() as connection:
        await connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    await engine.dispose()


@pytest.fixture
def hub(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    """A database of its own with a migrated schema, and a data directory."""
    assert settings.database_url is not None
    server = settings.database_url.get_secret_value()
    name = "rostro_backup_" + uuid.uuid4().hex[:8]
    url = asyncio.run(_create_database(server, name))
    upgrade_to_head(url)
    monkeypatch.setenv("ROSTRO_DATABASE_URL", url)
    monkeypatch.setenv("ROSTRO_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    asyncio.run(_drop_database(server, name))
