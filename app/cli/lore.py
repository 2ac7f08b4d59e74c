"""``rostro lore``: re-embedding lore after a change of model."""

import asyncio
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from sqlalchemy import update
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.cli.runtime import database_for_command
from app.config import get_settings
from app.db import create_sessionmaker
from app.lore import indexing, repository
from app.lore.embedder import load_embedder
from app.models import LorePassage

lore = typer.Typer(help="Lore retrieval: embeddings.", no_args_is_help=True)


@lore.command("reindex")
def reindex(
    everything: Annotated[
        bool, typer.Option("--all", help="Re-embed passages of the current model too.")
    ] = False,
) -> None:
    """Embed every passage that lacks a vector of the configured model (new,
    failed, or embedded by another model), with a progress bar."""
    with database_for_command() as url:
        done = asyncio.run(_reindex(url, everything))
    typer.echo(f"Embedded {done} passages.")


async def _reindex(url: str, everything: bool) -> int:
    settings = get_settings()
    embedder = load_embedder(settings)
    engine = create_async_engine(url, poolclass=NullPool)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session, session.begin():
            await repository.retry_failed(session)
            if everything:
                # Forget the model's own vectors so that they are made again.
                await session.execute(update(LorePassage).values(model=None))
            total = await repository.count_to_embed(session, None, embedder.name)
        with _progress() as progress:
            task = progress.add_task("Embedding", total=total)
            return await indexing.embed_all(
                sessions,
                embedder,
                None,
                settings.lore_batch_passages,
                lambda count: progress.advance(task, count),
            )
    finally:
        await engine.dispose()


def _progress() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
