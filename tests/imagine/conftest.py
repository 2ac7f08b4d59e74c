"""An app with a back end configured, whose jobs run inline on the test's session."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.db import get_session, run_after_commit
from app.imagine import jobs
from app.imagine.backends.base import BackendError, GenerationSpec
from app.imagine.dependencies import get_job_queue
from app.imagine.errors import QueueUnavailable
from app.kit.redis import create_redis
from app.main import create_app
from app.media.storage import LocalStorage
from tests.imagine.fakes import png


class FakeBackend:
    """An image back end at the edge of the process: real PNGs, no server."""

    name = "automatic1111"

    def __init__(self) -> None:
        self.specs: list[GenerationSpec] = []
        self.error: BackendError | None = None

    async def generate(self, spec: GenerationSpec) -> list[bytes]:
        self.specs.append(spec)
        if self.error is not None:
            raise self.error
        return [
            png(spec.width // 8, spec.height // 8, i) for i in range(spec.num_images)
        ]

    async def aclose(self) -> None:
        return None


def shared_transaction(
    session: AsyncSession,
) -> Callable[[], AbstractAsyncContextManager[AsyncSession]]:
    @asynccontextmanager
    async def transaction() -> AsyncIterator[AsyncSession]:
        yield session
        await session.commit()

    return transaction


class InlineQueue:
    """Runs each job as it is queued (``run=False`` leaves it queued)."""

    def __init__(self, ctx: jobs.JobContext) -> None:
        self.ctx = ctx
        self.run = True
        self.down = False
        self.queued: list[int] = []

    async def enqueue(self, job_id: int) -> None:
        if self.down:
            raise QueueUnavailable()
        self.queued.append(job_id)
        if self.run:
            await jobs.run_job(self.ctx, job_id)


@pytest.fixture
def imagine_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(
        update={
            "imagine_backend": "automatic1111",
            "imagine_url": "http://127.0.0.1:9",
            "imagine_blocked_terms": ["gore", "blood bath"],
            "imagine_wait_seconds": 0.5,
            "imagine_retries": 0,
            "data_dir": tmp_path,
        }
    )


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "media")


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def queue(
    session: AsyncSession,
    storage: LocalStorage,
    backend: FakeBackend,
    imagine_settings: Settings,
) -> InlineQueue:
    ctx = jobs.JobContext(
        transaction=shared_transaction(session),
        storage=storage,
        backend=backend,
        settings=imagine_settings,
    )
    return InlineQueue(ctx)


@pytest.fixture
async def imagine_client(
    imagine_settings: Settings,
    engine: AsyncEngine,
    session: AsyncSession,
    storage: LocalStorage,
    queue: InlineQueue,
) -> AsyncIterator[AsyncClient]:
    app = create_app(imagine_settings)
    app.state.engine = engine
    app.state.redis = create_redis(imagine_settings)
    app.state.storage = storage

    async def test_session() -> AsyncIterator[AsyncSession]:
        await session.commit()
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()
        await run_after_commit(session)

    app.dependency_overrides[get_session] = test_session
    app.dependency_overrides[get_job_queue] = lambda: queue
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
    await app.state.redis.aclose()
