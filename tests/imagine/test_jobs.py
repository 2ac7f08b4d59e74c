"""The job functions run directly against the database: claims, leases, reaper."""

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.imagine import jobs, service
from app.imagine.backends.base import BackendUnavailable
from app.imagine.backends.factory import BackendInfo
from app.imagine.schemas import GenerationRequest
from app.kit.fetch import Fetcher
from app.media.storage import LocalStorage
from app.models import ImagineJob, JobStatus, User
from tests.factories import create_user
from tests.imagine.conftest import FakeBackend, InlineQueue

INFO = BackendInfo("automatic1111", frozenset({"text_to_image"}))


async def _job(
    session: AsyncSession, storage: LocalStorage, settings: Settings
) -> ImagineJob:
    caller = await create_user(session, credits=50)
    request = GenerationRequest(prompt="a fox in the snow")
    job = await service.create_job(
        session, storage, caller.user, request, settings, INFO, Fetcher()
    )
    await session.commit()
    return job


async def _credits(session: AsyncSession, job: ImagineJob) -> int:
    stmt = select(User.credits).where(User.id == job.user_id)
    return int((await session.execute(stmt)).scalar_one())


async def _reload(session: AsyncSession, job: ImagineJob) -> ImagineJob:
    await session.refresh(job)
    return job


class TestRunJob:
    async def test_runs_once_however_often_delivered(
        self,
        session: AsyncSession,
        storage: LocalStorage,
        imagine_settings: Settings,
        queue: InlineQueue,
        backend: FakeBackend,
    ) -> None:
        job = await _job(session, storage, imagine_settings)

        first = await jobs.run_job(queue.ctx, job.id)
        second = await jobs.run_job(queue.ctx, job.id)

        assert (first, second) == ("succeeded", "skipped")
        assert len(backend.specs) == 1
        assert (await _reload(session, job)).status == JobStatus.SUCCEEDED
        assert await _credits(session, job) == 40

    async def test_a_live_claim_is_left_alone_and_a_dead_one_taken_over(
        self,
        session: AsyncSession,
        storage: LocalStorage,
        imagine_settings: Settings,
        queue: InlineQueue,
    ) -> None:
        job = await _job(session, storage, imagine_settings)
        job.status, job.attempts = JobStatus.RUNNING, 1
        job.lease_until = jobs.utc_now() + timedelta(seconds=30)
        await session.commit()

        while_alive = await jobs.run_job(queue.ctx, job.id)
        job.lease_until = jobs.utc_now() - timedelta(seconds=1)
        await session.commit()
        after_death = await jobs.run_job(queue.ctx, job.id)

        assert (while_alive, after_death) == ("skipped", "succeeded")
        assert (await _reload(session, job)).attempts == 2

    async def test_a_result_of_a_lost_claim_is_discarded(
        self,
        session: AsyncSession,
        storage: LocalStorage,
        imagine_settings: Settings,
        queue: InlineQueue,
        backend: FakeBackend,
    ) -> None:
        job = await _job(session, storage, imagine_settings)
        original = backend.generate

        async def taken_over_meanwhile(spec: object) -> list[bytes]:
            # Another worker claimed it since; the runner's copy does not know.
            await session.execute(
                update(ImagineJob)
                .where(ImagineJob.id == job.id)
                .values(attempts=5)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
            return await original(spec)  # type: ignore[arg-type]

        backend.generate = taken_over_meanwhile  # type: ignore[method-assign]
        outcome = await jobs.run_job(queue.ctx, job.id)

        assert outcome == "skipped"
        assert (await _reload(session, job)).status == JobStatus.RUNNING
        assert not list((storage.root / "imagine").rglob("0-*.png"))

    async def test_retryable_errors_are_retried_then_fail_with_a_refund(
        self,
        session: AsyncSession,
        storage: LocalStorage,
        imagine_settings: Settings,
        queue: InlineQueue,
        backend: FakeBackend,
    ) -> None:
        queue.ctx.settings = imagine_settings.model_copy(
            update={"imagine_retries": 2, "imagine_retry_backoff_seconds": 0.01}
        )
        job = await _job(session, storage, imagine_settings)
        backend.error = BackendUnavailable("The image server could not be reached.")

        outcome = await jobs.run_job(queue.ctx, job.id)

        assert outcome == "failed"
        assert len(backend.specs) == 3
        assert (await _reload(session, job)).error == (
            "The image server could not be reached."
        )
        assert await _credits(session, job) == 50

    async def test_too_many_attempts_fail_with_a_refund(
        self,
        session: AsyncSession,
        storage: LocalStorage,
        imagine_settings: Settings,
        queue: InlineQueue,
        backend: FakeBackend,
    ) -> None:
        job = await _job(session, storage, imagine_settings)
        job.attempts = imagine_settings.imagine_max_attempts
        await session.commit()

        outcome = await jobs.run_job(queue.ctx, job.id)

        assert outcome == "failed"
        assert backend.specs == []
        assert await _credits(session, job) == 50


class TestReap:
    async def test_overdue_jobs_fail_with_their_credits_back(
        self,
        session: AsyncSession,
        storage: LocalStorage,
        imagine_settings: Settings,
        queue: InlineQueue,
    ) -> None:
        job = await _job(session, storage, imagine_settings)

        later = job.deadline + timedelta(seconds=1)
        requeued = await jobs.reap(queue.ctx.transaction, imagine_settings, later)
        again = await jobs.reap(queue.ctx.transaction, imagine_settings, later)

        assert requeued == again == []
        assert (await _reload(session, job)).status == JobStatus.FAILED
        assert job.error == "The job did not finish in time."
        assert await _credits(session, job) == 50

    async def test_jobs_of_dead_workers_are_requeued_then_failed(
        self,
        session: AsyncSession,
        storage: LocalStorage,
        imagine_settings: Settings,
        queue: InlineQueue,
    ) -> None:
        job = await _job(session, storage, imagine_settings)
        now = jobs.utc_now()
        job.status, job.attempts = JobStatus.RUNNING, 1
        job.lease_until = now - timedelta(seconds=1)
        await session.commit()

        requeued = await jobs.reap(queue.ctx.transaction, imagine_settings, now)
        status_after_first = (await _reload(session, job)).status
        job.status, job.attempts = JobStatus.RUNNING, 2
        job.lease_until = now - timedelta(seconds=1)
        await session.commit()
        second = await jobs.reap(queue.ctx.transaction, imagine_settings, now)

        assert requeued == [job.id]
        assert status_after_first == JobStatus.QUEUED
        assert second == []
        assert (await _reload(session, job)).status == JobStatus.FAILED
        assert await _credits(session, job) == 50

    async def test_live_jobs_are_left_alone(
        self,
        session: AsyncSession,
        storage: LocalStorage,
        imagine_settings: Settings,
        queue: InlineQueue,
    ) -> None:
        job = await _job(session, storage, imagine_settings)

        requeued = await jobs.reap(
            queue.ctx.transaction, imagine_settings, jobs.utc_now()
        )

        assert requeued == []
        assert (await _reload(session, job)).status == JobStatus.QUEUED
