"""Running the job functions in a worker process or beside the API."""

import asyncio

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.imagine import jobs
from app.imagine.backends.base import BackendError, GenerationSpec, ImageBackend
from app.imagine.backends.factory import build_backend
from app.imagine.errors import ImagineNotConfigured
from app.imagine.queue import JobQueue
from app.media.storage import LocalStorage

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


async def run_job_in_worker(settings: Settings, job_id: int) -> str:
    """Run one job with an engine of its own, for the event loop of one task."""
    engine = create_engine(settings, pooled=False)
    backend = _backend(settings)
    ctx = jobs.JobContext(
        transaction=create_sessionmaker(engine).begin,
        storage=LocalStorage(settings.data_dir / "media"),
        backend=backend,
        settings=settings,
    )
    try:
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
