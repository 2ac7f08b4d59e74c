"""`rostro import` on files and folders."""

import asyncio
import base64
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from app.cli import cli
from app.models import Project, User
from tests.cards.builders import (
    png_with_chunks,
    text_chunk,
    to_bytes,
    v2_card,
    world_info,
)

runner = CliRunner()


@pytest.fixture
def owner(hub: str) -> str:
    name = "imp" + uuid.uuid4().hex[:8]
    assert runner.invoke(cli, ["users", "create", name]).exit_code == 0
    return name


async def _names(url: str, owner: str) -> list[str]:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(Project.name)
            .join(User, User.id == Project.creator_id)
            .where(User.username == owner)
            .order_by(Project.name)
        )
        names = [row[0] for row in rows]
    await engine.dispose()
    return names


class TestImportCommand:
    def test_folder_with_good_and_bad_files(
        self, owner: str, tmp_path: Path, hub: str
    ) -> None:
        folder = tmp_path / "cards"
        (folder / "nested").mkdir(parents=True)
        card = v2_card()
        card["data"]["name"] = "Alpha"
        png = png_with_chunks(text_chunk("chara", base64.b64encode(to_bytes(card))))
        (folder / "alpha.png").write_bytes(png)
        (folder / "nested" / "world.json").write_text(json.dumps(world_info()))
        (folder / "broken.json").write_text("{not json")
        (folder / "notes.md").write_text("ignored: not a card file")

        result = runner.invoke(cli, ["import", str(folder), "--user", owner])

        url = hub
        assert result.exit_code == 1
        assert "Imported 2 of 3 files." in result.stdout
        assert "broken.json" in result.stdout
        assert asyncio.run(_names(url, owner)) == ["Alpha", "world"]

    def test_unknown_user_fails_clearly(self, owner: str, tmp_path: Path) -> None:
        path = tmp_path / "c.json"
        path.write_bytes(to_bytes(v2_card()))

        result = runner.invoke(cli, ["import", str(path), "--user", owner + "x"])

        assert result.exit_code == 1
        assert "No user named" in result.stderr
