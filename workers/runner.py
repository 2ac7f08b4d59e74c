"""Running async job functions of `app` from Celery's synchronous tasks."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.db import create_engine, create_sessionmaker

T = TypeVar("T")


def run_job(job: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `job` in one committed transaction, with an engine of its own: a
    pooled async engine cannot cross the event loops of successive tasks."""

    async def _run() -> T:
        engine = create_engine(get_settings(), pooled=False)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                return await job(session)
        finally:
            await engine.dispose()

    return asyncio.run(_run())
