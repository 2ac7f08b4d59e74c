"""``rostro import``: cards and lorebooks from files and folders."""

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.ext.asyncio import (
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from app.accounts import service as accounts
from app.cards.model import ImportedCard
from app.cards.service import import_card, read_upload
from app.cli.runtime import database_for_command
from app.config import get_settings
from app.db import create_sessionmaker
from app.errors import AppError
from app.media.backend import create_storage
from app.media.storage import Storage
from app.models import User
from app.projects import service as projects

CARD_SUFFIXES = {".png", ".json", ".charx", ".zip"}
# Cards are written in batches, one transaction each: far faster than one
# transaction per card, and a failing card is retried alone.
BATCH_SIZE = 200


@dataclass
class Outcome:
    imported: int = 0
    failures: list[tuple[Path, str]] = field(default_factory=list)


def card_files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.suffix.lower() in CARD_SUFFIXES
            )
        else:
            yield path


def import_files(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of cards.")],
    user: Annotated[str, typer.Option("--user", "-u", help="Who owns the imports.")],
    visibility: Annotated[
        str, typer.Option(help="public, unlisted or private.")
    ] = "public",
    verbose: Annotated[bool, typer.Option(help="Log every card.")] = False,
) -> None:
    """Import character cards and lorebooks, with a summary of what failed."""
    if visibility not in ("public", "unlisted", "private"):
        raise typer.BadParameter("visibility is public, unlisted or private")
    files = list(card_files(paths))
    missing = [p for p in files if not p.is_file()]
    if missing:
        typer.echo(f"Error: no such file: {missing[0]}", err=True)
        raise typer.Exit(1)

    settings = get_settings()
    storage = create_storage(settings)
    # The progress bar stands for the per-card log lines, which would break it.
    if not verbose:
        root = logging.getLogger()
        root.setLevel(max(logging.WARNING, root.level))
    with database_for_command() as url:
        outcome = asyncio.run(_run(url, storage, files, user, visibility))
    _summary(outcome, len(files))
    if outcome.failures:
        raise typer.Exit(1)


async def _run(
    url: str, storage: Storage, files: list[Path], username: str, visibility: str
) -> Outcome:
    engine = create_async_engine(url, poolclass=NullPool)
    sessions = create_sessionmaker(engine)
    outcome = Outcome()
    try:
        async with sessions() as session:
            owner = await accounts.get_user_by_name(session, username)
            slugs = await projects.preload_slugs(session, owner.id)
        sessions.configure(info={projects.SLUG_CACHE: slugs})
        with _progress() as progress:
            task = progress.add_task("Importing", total=len(files))
            for start in range(0, len(files), BATCH_SIZE):
                batch = files[start : start + BATCH_SIZE]
                cards = _read_batch(batch, outcome)
                await _write_batch(sessions, storage, owner, cards, visibility, outcome)
                progress.advance(task, len(batch))
    except AppError as error:
        typer.echo(f"Error: {error.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        await engine.dispose()
    return outcome


def _read_batch(batch: list[Path], outcome: Outcome) -> list[tuple[Path, ImportedCard]]:
    cards = []
    for path in batch:
        try:
            cards.append((path, read_upload(path.read_bytes(), path.name)))
        except (AppError, OSError) as error:
            outcome.failures.append((path, getattr(error, "message", str(error))))
    return cards


async def _write_batch(
    sessions: async_sessionmaker[AsyncSession],
    storage: Storage,
    owner: User,
    cards: list[tuple[Path, ImportedCard]],
    visibility: str,
    outcome: Outcome,
) -> None:
    try:
        async with sessions() as session, session.begin():
            for path, card in cards:
                await import_card(session, storage, owner, card, visibility, path.name)
        outcome.imported += len(cards)
    except AppError:
        # One card broke the batch: import them one at a time to find it.
        for path, card in cards:
            await _write_one(sessions, storage, owner, path, card, visibility, outcome)


async def _write_one(
    sessions: async_sessionmaker[AsyncSession],
    storage: Storage,
    owner: User,
    path: Path,
    card: ImportedCard,
    visibility: str,
    outcome: Outcome,
) -> None:
    try:
        async with sessions() as session, session.begin():
            await import_card(session, storage, owner, card, visibility, path.name)
        outcome.imported += 1
    except AppError as error:
        outcome.failures.append((path, error.message))


def _progress() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )


def _summary(outcome: Outcome, total: int) -> None:
    console = Console()
    console.print(f"Imported {outcome.imported} of {total} files.")
    if not outcome.failures:
        return
    table = Table("file", "why it failed")
    for path, reason in outcome.failures:
        table.add_row(str(path), reason)
    console.print(table)
