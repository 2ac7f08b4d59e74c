"""Running the job functions in a worker process or beside the API."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.imagine import jobs
from app.imagine.backends.base import BackendError, GenerationSpec, ImageBackend
from app.imagine.backends.factory import build_backend
from app.imagine.errors import ImagineNotConfigured
from app.imagine.queue import JobQueue
from app.media.backend import create_storage

log = structlog.get_logger(__name__)


class UnconfiguredBackend:
    """Stands for a missing back end, so that its jobs fail with the reason."""

    name = "none"

    def __init__(self, message: str) -> None:
        self.message = message

    async def generate(self, spec: GenerationSpec) -> list[bytes]:
        raise BackendError(self.message)

    async def aclose(self) -> None:
        return None


def _backend(settings: Settings) -> ImageBackend:
    try:
        return build_backend(settings)
    except ImagineNotConfigured as error:
        return UnconfiguredBackend(error.message)


def _transactions_on(connection: AsyncConnection) -> jobs.Transaction:
    @contextlib.asynccontextmanager
    async def transaction() -> AsyncIterator[AsyncSession]:
        session = AsyncSession(bind=connection, expire_on_commit=False)
        async with session, session.begin():
            yield session

    return transaction


async def run_job_in_worker(settings: Settings, job_id: int) -> str:
    """Run one job with an engine of its own, for the event loop of one task.

    The job's transactions take turns on one connection: a new connection
    costs more than the rest of an instant job (asyncpg learns our enum type
    anew on each).
    """
    engine = create_engine(settings, pooled=False)
    backend = _backend(settings)
    try:
        async with engine.connect() as connection:
            ctx = jobs.JobContext(
                transaction=_transactions_on(connection),
                storage=create_storage(settings),
                backend=backend,
                settings=settings,
            )
            return await jobs.run_job(ctx, job_id)
    finally:
        await backend.aclose()
        await engine.dispose()


async def reap_in_worker(settings: Settings) -> list[int]:
    engine = create_engine(settings, pooled=False)
    try:
        return await jobs.reap(
            create_sessionmaker(engine).begin, settings, jobs.utc_now()
        )
    finally:
        await engine.dispose()


async def reap_forever(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, queue: JobQueue
) -> None:
    """Reap every ``imagine_reap_seconds``, beside the API, until cancelled."""
    while True:
        try:
            requeued = await jobs.reap(sessions.begin, settings, jobs.utc_now())
            for job_id in requeued:
                await queue.enqueue(job_id)
        except Exception:
            # The next round retries; a reaper that stops would leave jobs stuck.
            log.exception("imagine.reaper_failed")
        await asyncio.sleep(settings.imagine_reap_seconds)
