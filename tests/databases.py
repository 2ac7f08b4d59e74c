"""Databases of their own on the test server, for tests whose commits must not
reach the shared test database."""

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool


async def _admin(server_url: str, statement: str) -> None:
    engine = create_async_engine(
        server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


async def create_database(server_url: str, name: str) -> str:
    """A new, empty database (an old one of that name goes); its URL."""
    await drop_database(server_url, name)
    await _admin(server_url, f"CREATE DATABASE {name}")
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(server_url: str, name: str) -> None:
    await _admin(server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
