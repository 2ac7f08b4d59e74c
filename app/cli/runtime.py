"""What a command needs to reach the database, embedded or configured."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.db import async_url, create_sessionmaker
from app.embedded import AlreadyRunning, instance_lock, start_postgres
from app.migrate import upgrade_to_head

T = TypeVar("T")


@contextlib.contextmanager
def database_for_command() -> Iterator[str]:
    """The async database URL, starting the embedded server for the command if
    no ``rostro serve`` runs on the data directory."""
    settings = get_settings()
    if settings.database_url is not None:
        yield async_url(settings.database_url.get_secret_value())
        return

    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(instance_lock(settings.data_dir))
        except AlreadyRunning:
            # A running `rostro serve` owns the server: use it as it is.
            yield async_url(start_postgres(settings.data_dir).url)
            return
        postgres = start_postgres(settings.data_dir)
        stack.callback(postgres.stop)
        url = async_url(postgres.url)
        upgrade_to_head(url)
        yield url


def run_in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one committed transaction on the hub's database."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    async def _run(url: str) -> T:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    with database_for_command() as url:
        return asyncio.run(_run(url))
