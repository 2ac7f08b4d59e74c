"""`rostro users credit` against the test database."""

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings, get_settings
from app.models import User

runner = CliRunner()


@pytest.fixture
def username(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A committed user of the test database, removed after."""
    assert settings.database_url is not None
    url = settings.database_url.get_secret_value()
    monkeypatch.setenv("ROSTRO_DATABASE_URL", url)
    get_settings.cache_clear()
    name = "credit" + uuid.uuid4().hex[:8]
    assert runner.invoke(cli, ["users", "create", name]).exit_code == 0
    yield name
    get_settings.cache_clear()
    asyncio.run(_delete(url, name))


async def _delete(url: str, name: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.begin() as connection:
        await connection.execute(delete(User).where(User.username == name))
    await engine.dispose()


async def _credits(url: str, name: str) -> int:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as connection:
        stmt = select(User.credits).where(User.username == name)
        value = (await connection.execute(stmt)).scalar_one()
    await engine.dispose()
    return int(value)


class TestUsersCredit:
    def test_grants_and_takes_back_but_never_below_zero(
        self, username: str, settings: Settings
    ) -> None:
        assert settings.database_url is not None
        url = settings.database_url.get_secret_value()
        start = asyncio.run(_credits(url, username))

        granted = runner.invoke(cli, ["users", "credit", username, "250"])
        taken = runner.invoke(cli, ["users", "credit", username, "--", "-50"])
        too_much = runner.invoke(cli, ["users", "credit", username, "--", "-999999"])
        unknown = runner.invoke(cli, ["users", "credit", "nobody-here", "5"])

        assert granted.exit_code == 0, granted.output
        assert f"now has {start + 250} credits" in granted.output
        assert taken.exit_code == 0, taken.output
        assert too_much.exit_code == 1
        assert "below 0" in too_much.output
        assert unknown.exit_code == 1
        assert asyncio.run(_credits(url, username)) == start + 200
