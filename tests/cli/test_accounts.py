"""`rostro users` and `rostro keys` against the test database."""

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from app.auth.keys import hash_key
from app.cli import cli
from app.config import Settings, get_settings
from app.models import ApiKey, User


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the command line at the test database; remove its users after."""
    assert settings.database_url is not None
    url = settings.database_url.get_secret_value()
    monkeypatch.setenv("ROSTRO_DATABASE_URL", url)
    get_settings.cache_clear()
    prefix = "cli" + uuid.uuid4().hex[:6]
    yield prefix
    get_settings.cache_clear()
    asyncio.run(_delete_users(url, prefix))


async def _delete_users(url: str, prefix: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.begin() as connection:
        await connection.execute(delete(User).where(User.username.startswith(prefix)))
    await engine.dispose()


async def _key_row(url: str, key: str) -> ApiKey | None:
    from sqlalchemy import select

    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(ApiKey).where(ApiKey.key_hash == hash_key(key))
            )
        ).first()
    await engine.dispose()
    return row  # type: ignore[return-value]


runner = CliRunner()


class TestUsersCreate:
    def test_prints_the_key_alone_on_the_last_line(
        self, cli_env: str, settings: Settings
    ) -> None:
        result = runner.invoke(cli, ["users", "create", f"{cli_env}_a", "--admin"])

        key = result.stdout.strip().splitlines()[-1]
        assert result.exit_code == 0
        assert key.startswith("rst_")
        assert " " not in key
        assert f"admin {cli_env}_a" in result.stdout
        url = settings.database_url.get_secret_value()  # type: ignore[union-attr]
        assert asyncio.run(_key_row(url, key)) is not None

    def test_taken_name_fails_clearly(self, cli_env: str) -> None:
        runner.invoke(cli, ["users", "create", f"{cli_env}_b"])

        result = runner.invoke(cli, ["users", "create", f"{cli_env}_B".upper()])

        assert result.exit_code == 1
        assert "taken" in result.stderr

    def test_invalid_name_fails_clearly(self, cli_env: str) -> None:
        result = runner.invoke(cli, ["users", "create", "no spaces allowed"])

        assert result.exit_code == 1
        assert "3 to 32 characters" in result.stderr


class TestKeys:
    def test_create_and_revoke(self, cli_env: str, settings: Settings) -> None:
        url = settings.database_url.get_secret_value()  # type: ignore[union-attr]
        runner.invoke(cli, ["users", "create", f"{cli_env}_k"])

        created = runner.invoke(
            cli, ["keys", "create", f"{cli_env}_k", "--label", "bot"]
        )
        key = created.stdout.strip().splitlines()[-1]
        revoked = runner.invoke(cli, ["keys", "revoke", key])
        again = runner.invoke(cli, ["keys", "revoke", key])

        row = asyncio.run(_key_row(url, key))
        assert created.exit_code == 0
        assert revoked.exit_code == 0
        assert row is not None
        assert row.revoked_at is not None
        assert row.name == "bot"
        assert again.exit_code == 1
        assert "No such active API key" in again.stderr

    def test_key_for_unknown_user_fails(self, cli_env: str) -> None:
        result = runner.invoke(cli, ["keys", "create", f"{cli_env}_ghost"])

        assert result.exit_code == 1
        assert "No user named" in result.stderr
