"""Command-line tests run against a database of their own: what the commands
commit must not show up in other tests."""

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import Settings, get_settings
from app.migrate import upgrade_to_head
from tests.databases import create_database, drop_database


@pytest.fixture
def hub(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    """A database of its own with a migrated schema, and a data directory."""
    assert settings.database_url is not None
    server = settings.database_url.get_secret_value()
    name = "rostro_backup_" + uuid.uuid4().hex[:8]
    url = asyncio.run(create_database(server, name))
    upgrade_to_head(url)
    monkeypatch.setenv("ROSTRO_DATABASE_URL", url)
    monkeypatch.setenv("ROSTRO_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    asyncio.run(drop_database(server, name))
