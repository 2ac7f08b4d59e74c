"""Fault tests run the service as separate processes against servers they may
stop, restart or kill: a PostgreSQL or Redis of their own, or a database of
their own on the session's server."""

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import create_database, drop_database
from tests.faults.servers import Postgres, RedisServer


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_postgres(embedded_data_dir: Path) -> Iterator[Postgres]:
    server = Postgres(embedded_data_dir)
    yield server
    server.stop()


@pytest.fixture
def own_database(servers: tuple[str, str]) -> Iterator[str]:
    """An empty database of its own on the session's server (its async URL)."""
    name = "rostro_fault_" + uuid.uuid4().hex[:8]
    url = asyncio.run(create_database(servers[0], name))
    yield url
    asyncio.run(drop_database(servers[0], name))
