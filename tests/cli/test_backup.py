"""`rostro backup` and `rostro restore`: a round trip that compares every table
and every media file."""

import asyncio
import base64
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from app.cli import cli
from app.models import Base
from tests.cards.builders import png_with_chunks, text_chunk, to_bytes, v2_card

runner = CliRunner()


async def snapshot(url: str) -> dict[str, list[str]]:
    """Every row of every table, as text, in a stable order."""
    engine = create_async_engine(url, poolclass=NullPool)
    tables = [t.name for t in Base.metadata.sorted_tables] + ["alembic_version"]
    found = {}
    async with engine.connect() as connection:
        for table in tables:
            rows = await connection.execute(
                text(f"SELECT t::text FROM {table} t ORDER BY 1")
            )
            found[table] = [row[0] for row in rows]
    await engine.dispose()
    return found


def media_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".tmp-")
    }


class TestBackupRoundTrip:
    def test_restore_gives_back_every_table_and_file(
        self, hub: str, tmp_path: Path
    ) -> None:
        assert runner.invoke(cli, ["users", "create", "alice"]).exit_code == 0
        card = v2_card()
        card_file = tmp_path / "card.png"
        card_file.write_bytes(
            png_with_chunks(text_chunk("chara", base64.b64encode(to_bytes(card))))
        )
        assert (
            runner.invoke(cli, ["import", str(card_file), "--user", "alice"]).exit_code
            == 0
        )
        media = tmp_path / "data" / "media"
        before_tables = asyncio.run(snapshot(hub))
        before_files = media_files(media)

        made = runner.invoke(cli, ["backup", str(tmp_path / "backup")])
        assert runner.invoke(cli, ["users", "create", "bob"]).exit_code == 0
        (media / "stray.txt").write_text("made after the backup")
        for file in list(media.rglob("*.png"))[:1]:
            file.unlink()
        restored = runner.invoke(cli, ["restore", str(tmp_path / "backup"), "--yes"])

        assert made.exit_code == 0, made.output
        assert restored.exit_code == 0, restored.output
        assert before_tables["projects"]
        assert before_tables["users"]
        assert before_files
        assert asyncio.run(snapshot(hub)) == before_tables
        assert media_files(media) == before_files

    def test_backup_refuses_a_folder_with_files(self, hub: str, tmp_path: Path) -> None:
        folder = tmp_path / "full"
        folder.mkdir()
        (folder / "something").write_text("x")

        result = runner.invoke(cli, ["backup", str(folder)])

        assert result.exit_code == 1
        assert "not empty" in result.stderr

    def test_restore_refuses_what_is_not_a_backup(
        self, hub: str, tmp_path: Path
    ) -> None:
        result = runner.invoke(cli, ["restore", str(tmp_path), "--yes"])

        assert result.exit_code == 1
        assert "not a rostro backup" in result.stderr
