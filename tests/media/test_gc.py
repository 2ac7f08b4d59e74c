import os
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings, get_settings
from app.media import gc
from app.media.s3 import S3Storage
from app.media.storage import LocalStorage
from app.models import Project
from tests.factories import create_project, create_user
from tests.gallery import images

runner = CliRunner()
TWO_HOURS_AGO = time.time() - 7200


async def put_old(storage: LocalStorage, key: str) -> None:
    await storage.put(key, b"x", "")
    path = storage.local_path(key)
    assert path is not None
    os.utime(path, (TWO_HOURS_AGO, TWO_HOURS_AGO))


async def keys(storage: LocalStorage | S3Storage) -> set[str]:
    return {stored.key for stored in await storage.list_files()}


class TestCollect:
    async def test_removes_only_unreferenced_files(
        self, session: AsyncSession, tmp_path: Path
    ) -> None:
        storage = LocalStorage(tmp_path)
        alice = await create_user(session)
        project = await create_project(
            session, alice, avatar=images.png(), storage=storage
        )
        assert project.avatar_key is not None
        os.utime(storage.local_path(project.avatar_key), (TWO_HOURS_AGO,) * 2)  # type: ignore[arg-type]
        orphans = {
            "avatars/old/1.png",
            f"cards/{project.id}/previous-version.png",
            f"gallery/{uuid4()}/a.png",
            "assets/999999999/icon.png",
            f"imagine/1/{uuid4()}/0-a.png",
        }
        for key in [*orphans, f"assets/{project.id}/icon.png", "exports/keep.zip"]:
            await put_old(storage, key)

        sweep = await gc.collect(session, storage)

        assert set(sweep.orphans) == orphans
        assert sweep.unknown == ["exports/keep.zip"]
        assert await keys(storage) == {
            project.avatar_key,
            f"assets/{project.id}/icon.png",
            "exports/keep.zip",
        }

    async def test_spares_young_files(
        self, session: AsyncSession, tmp_path: Path
    ) -> None:
        storage = LocalStorage(tmp_path)
        await storage.put(f"gallery/{uuid4()}/new.png", b"x", "image/png")

        sweep = await gc.collect(session, storage)

        assert (sweep.orphans, sweep.young) == ([], 1)

    async def test_dry_run_deletes_nothing(
        self, session: AsyncSession, tmp_path: Path
    ) -> None:
        storage = LocalStorage(tmp_path)
        await put_old(storage, "avatars/old/1.png")

        sweep = await gc.collect(session, storage, dry_run=True)

        assert sweep.orphans == ["avatars/old/1.png"]
        assert await keys(storage) == {"avatars/old/1.png"}

    async def test_card_of_the_current_version_is_kept(
        self, session: AsyncSession, tmp_path: Path
    ) -> None:
        storage = LocalStorage(tmp_path)
        alice = await create_user(session)
        project = await create_project(session, alice)
        key = f"cards/{project.id}/{project.version_sha}.png"
        await session.execute(
            update(Project).where(Project.id == project.id).values(card_key=key)
        )
        await put_old(storage, key)

        sweep = await gc.collect(session, storage)

        assert sweep.orphans == []

    async def test_on_s3(self, session: AsyncSession, s3_storage: S3Storage) -> None:
        await s3_storage.put("avatars/old/1.png", b"x", "image/png")
        await s3_storage.put("exports/keep.zip", b"x", "")

        sweep = await gc.collect(session, s3_storage, grace=timedelta(0))

        assert sweep.orphans == ["avatars/old/1.png"]
        assert await keys(s3_storage) == {"exports/keep.zip"}


@pytest.fixture
def cli_env(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """The command line on the test database, with media under tmp_path."""
    assert settings.database_url is not None
    monkeypatch.setenv("ROSTRO_DATABASE_URL", settings.database_url.get_secret_value())
    monkeypatch.setenv("ROSTRO_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path / "media"
    get_settings.cache_clear()


def write_file(root: Path, key: str, *, old: bool = True) -> None:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    if old:
        os.utime(path, (TWO_HOURS_AGO, TWO_HOURS_AGO))


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


class TestMediaGcCommand:
    # Synchronous tests: the command runs its own event loop.
    def test_deletes_orphans_and_reports(self, cli_env: Path) -> None:
        write_file(cli_env, "avatars/old/1.png")
        write_file(cli_env, "exports/keep.zip")
        write_file(cli_env, "avatars/new/2.png", old=False)

        result = runner.invoke(cli, ["media", "gc"])

        assert result.exit_code == 0, result.output
        assert "avatars/old/1.png" in result.output
        assert "Deleted 1 orphaned files" in result.output
        assert files_under(cli_env) == {"exports/keep.zip", "avatars/new/2.png"}

    def test_dry_run(self, cli_env: Path) -> None:
        write_file(cli_env, "avatars/old/1.png")

        result = runner.invoke(cli, ["media", "gc", "--dry-run"])

        assert result.exit_code == 0, result.output
        assert "Would delete 1 orphaned files" in result.output
        assert files_under(cli_env) == {"avatars/old/1.png"}

    def test_on_s3(
        self,
        cli_env: Path,
        s3_settings: Settings,
        s3_storage: S3Storage,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        secret = s3_settings.s3_secret_access_key
        assert secret is not None
        for name in ("bucket", "endpoint_url", "access_key_id", "prefix"):
            value = getattr(s3_settings, f"s3_{name}")
            monkeypatch.setenv(f"ROSTRO_S3_{name.upper()}", value)
        monkeypatch.setenv("ROSTRO_S3_SECRET_ACCESS_KEY", secret.get_secret_value())
        get_settings.cache_clear()
        bucket = s3_storage.bucket
        s3_storage.client.put_object(
            Bucket=bucket, Key="media/gallery/g/a.png", Body=b"x"
        )

        result = runner.invoke(cli, ["media", "gc", "--grace-minutes", "0"])

        assert result.exit_code == 0, result.output
        assert "Deleted 1 orphaned files" in result.output
        assert s3_storage.client.list_objects_v2(Bucket=bucket).get("Contents") is None
