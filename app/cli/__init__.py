"""The ``rostro`` command line."""

import typer

from app.cli import accounts, backup, importer, lore, media, serve
from app.config import get_settings
from app.logging import configure_logging

cli = typer.Typer(
    help="Rostro: a self-hosted hub for AI role-play characters and lorebooks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@cli.callback()
def _configure() -> None:
    configure_logging(get_settings())


cli.command("serve")(serve.serve)
cli.command("worker")(serve.worker)
cli.command("migrate")(serve.migrate)
cli.command("import")(importer.import_files)
cli.command("backup")(backup.backup)
cli.command("restore")(backup.restore)
cli.add_typer(accounts.users, name="users")
cli.add_typer(accounts.keys, name="keys")
cli.add_typer(lore.lore, name="lore")
cli.add_typer(media.media, name="media")


def main() -> None:
    cli()
