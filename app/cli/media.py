"""``rostro media gc``: remove stored files that nothing references."""

from datetime import timedelta
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from app.cli.runtime import run_in_session
from app.config import get_settings
from app.media import gc
from app.media.backend import create_storage

media = typer.Typer(help="Maintain stored media files.", no_args_is_help=True)


@media.command("gc")
def collect_garbage(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List orphans; delete nothing.")
    ] = False,
    grace_minutes: Annotated[
        int,
        typer.Option(min=0, help="Spare files younger than this (uploads under way)."),
    ] = 60,
) -> None:
    """Find files that no row references and delete them."""
    storage = create_storage(get_settings())

    async def work(session: AsyncSession) -> gc.Sweep:
        return await gc.collect(
            session, storage, grace=timedelta(minutes=grace_minutes), dry_run=dry_run
        )

    sweep = run_in_session(work)
    for key in sweep.orphans:
        typer.echo(key)
    verb = "Would delete" if dry_run else "Deleted"
    typer.echo(
        f"{verb} {len(sweep.orphans)} orphaned files; kept {sweep.kept} referenced, "
        f"{sweep.young} recent and {len(sweep.unknown)} in folders gc does not know."
    )
