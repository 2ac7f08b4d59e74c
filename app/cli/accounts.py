"""``rostro users`` and ``rostro keys``: accounts from the command line."""

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service
from app.cli.runtime import run_in_session
from app.config import get_settings
from app.errors import AppError
from app.imagine import credits

users = typer.Typer(help="Create and list users.", no_args_is_help=True)
keys = typer.Typer(help="Create and revoke API keys.", no_args_is_help=True)


def _fail(error: AppError) -> None:
    typer.echo(f"Error: {error.message}", err=True)
    raise typer.Exit(1)


@users.command("create")
def create_user(
    name: Annotated[str, typer.Argument(help="The new username.")],
    admin: Annotated[bool, typer.Option("--admin", help="Make an admin.")] = False,
    email: Annotated[str | None, typer.Option(help="An e-mail address.")] = None,
) -> None:
    """Create a user; the new API key is printed alone on the last line."""
    credits = get_settings().starting_credits

    async def work(session: AsyncSession) -> service.NewUser:
        return await service.create_user(
            session, name, email=email, is_admin=admin, credits=credits
        )

    try:
        new = run_in_session(work)
    except AppError as error:
        _fail(error)
        return
    role = "admin" if admin else "user"
    typer.echo(f"Created {role} {new.user.username} (id {new.user.id}).")
    typer.echo("Their API key, shown this once (it is stored hashed):")
    typer.echo(new.api_key)


@users.command("list")
def list_users() -> None:
    """List every user."""
    for user in run_in_session(service.list_users):
        role = " (admin)" if user.is_admin else ""
        typer.echo(f"{user.id}\t{user.username}{role}\t{user.credits} credits")


@users.command("credit")
def credit_user(
    name: Annotated[str, typer.Argument(help="Whose credits.")],
    amount: Annotated[
        int, typer.Argument(help="Credits to add; negative takes some away.")
    ],
) -> None:
    """Grant a user credits for image generation; prints the new balance."""

    async def work(session: AsyncSession) -> int:
        user = await service.get_user_by_name(session, name)
        return await credits.grant(session, user.id, amount)

    try:
        balance = run_in_session(work)
    except AppError as error:
        _fail(error)
        return
    typer.echo(f"{name} now has {balance} credits.")


@keys.command("create")
def create_key(
    username: Annotated[str, typer.Argument(help="Whose key.")],
    label: Annotated[str, typer.Option(help="A name for the key.")] = "cli",
) -> None:
    """Add an API key to a user; the key is printed alone on the last line."""

    async def work(session: AsyncSession) -> str:
        user = await service.get_user_by_name(session, username)
        return await service.create_key(session, user, name=label)

    try:
        key = run_in_session(work)
    except AppError as error:
        _fail(error)
        return
    typer.echo(f"New API key for {username}, shown this once:")
    typer.echo(key)


@keys.command("revoke")
def revoke_key(key: Annotated[str, typer.Argument(help="The key to revoke.")]) -> None:
    """Revoke an API key; it stops working at once."""

    async def work(session: AsyncSession) -> None:
        await service.revoke_key(session, key)

    try:
        run_in_session(work)
    except AppError as error:
        _fail(error)
    typer.echo("Revoked.")
