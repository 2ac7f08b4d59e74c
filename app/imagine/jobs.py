"""The job functions workers run: one generation, and the reaper.

They take a ``Transaction`` factory rather than an engine, so that tests can run
them on the test's own session and workers on an engine of their own.
"""

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.imagine import credits, repository
from app.imagine.backends.base import (
    BackendError,
    BackendMalformed,
    BackendTimeout,
    GenerationSpec,
    ImageBackend,
)
from app.imagine.service import media_prefix
from app.media.images import InvalidImage, image_extension
from app.media.storage import Storage
from app.models import ImagineJob

log = structlog.get_logger(__name__)

Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]
"""A new session in a transaction that commits when the block ends."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class JobContext:
    transaction: Transaction
    storage: Storage
    backend: ImageBackend
    settings: Settings
    clock: Callable[[], datetime] = field(default=utc_now)


async def run_job(ctx: JobContext, job_id: int) -> str:
    """Generate the job's images; its outcome: succeeded, failed or skipped.

    Safe to run twice for one job: only a worker that claims the job runs it,
    and only the holder of the current claim may record its result.
    """
    job = await _claim(ctx, job_id)
    if job is None:
        log.info("imagine.job_skipped", job_id=job_id)
        return "skipped"
    structlog.contextvars.bind_contextvars(job_id=job_id)
    if job.attempts > ctx.settings.imagine_max_attempts:
        return await _fail(
            ctx, job, "The job was interrupted too many times.", "too_many_attempts"
        )

    try:
        images = await _generate(ctx, job)
        return await _finish(ctx, job, images)
    except BackendError as error:
        return await _fail(ctx, job, error.message, type(error).__name__)
    except Exception:
        log.exception("imagine.job_crashed")
        return await _fail(ctx, job, "The generation failed on this server.", "crashed")


async def _claim(ctx: JobContext, job_id: int) -> ImagineJob | None:
    lease = timedelta(seconds=ctx.settings.imagine_lease_seconds)
    async with ctx.transaction() as session:
        job = await repository.claim(session, job_id, ctx.clock(), lease)
    if job is not None:
        log.info("imagine.job_started", job_id=job_id, attempt=job.attempts)
    return job


async def _generate(ctx: JobContext, job: ImagineJob) -> list[bytes]:
    spec = await _spec(ctx, job)
    remaining = (job.deadline - ctx.clock()).total_seconds()
    try:
        async with _lease_kept(ctx, job), asyncio.timeout(max(remaining, 0.0)):
            return await _with_retries(ctx, spec)
    except TimeoutError:
        raise BackendTimeout("The job did not finish before its deadline.") from None


async def _spec(ctx: JobContext, job: ImagineJob) -> GenerationSpec:
    params = job.parameters
    inputs: dict[str, bytes | None] = {}
    for role, key in params.get("inputs", {}).items():
        inputs[role] = await ctx.storage.get(key)
        if inputs[role] is None:
            raise BackendError("An input image of this job is missing.")
    return GenerationSpec(
        kind=job.generation_type,
        prompt=job.prompt,
        negative_prompt=job.negative_prompt,
        seed=params["seed"],
        width=params["width"],
        height=params["height"],
        steps=params["steps"],
        guidance_scale=params["guidance_scale"],
        strength=params["strength"],
        num_images=params["num_images"],
        init_image=inputs.get("init"),
        mask_image=inputs.get("mask"),
    )


async def _with_retries(ctx: JobContext, spec: GenerationSpec) -> list[bytes]:
    retries = ctx.settings.imagine_retries
    for attempt in range(retries + 1):
        try:
            return await ctx.backend.generate(spec)
        except BackendError as error:
            if not error.retryable or attempt == retries:
                raise
            log.warning("imagine.backend_retry", attempt=attempt + 1)
            await asyncio.sleep(ctx.settings.imagine_retry_backoff_seconds * 2**attempt)
    raise AssertionError("unreachable")


@contextlib.asynccontextmanager
async def _lease_kept(ctx: JobContext, job: ImagineJob) -> AsyncIterator[None]:
    """Renew the claim while the block runs, so that the reaper can tell a
    working worker from a dead one."""
    period = ctx.settings.imagine_lease_seconds / 3
    lease = timedelta(seconds=ctx.settings.imagine_lease_seconds)
    done = asyncio.Event()

    async def renew() -> None:
        while not await _wait(done, period):
            async with ctx.transaction() as session:
                held = await repository.extend_lease(
                    session, job.id, job.attempts, ctx.clock() + lease
                )
            if not held:
                log.warning("imagine.claim_lost")
                return

    renewer = asyncio.create_task(renew())
    try:
        yield
    finally:
        # Stopped rather than cancelled: a renewal cut off mid-statement would
        # leave the job's connection unusable for recording the result.
        done.set()
        await renewer


async def _wait(event: asyncio.Event, seconds: float) -> bool:
    """Whether ``event`` was set within ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def _finish(ctx: JobContext, job: ImagineJob, images: list[bytes]) -> str:
    keys = []
    for index, data in enumerate(images):
        try:
            extension = image_extension(data)
        except InvalidImage:
            raise BackendMalformed(
                "The image server returned an unusable image."
            ) from None
        digest = hashlib.sha256(data).hexdigest()[:16]
        key = f"{media_prefix(job)}{index}-{digest}.{extension}"
        await ctx.storage.put(key, data, f"image/{extension}")
        keys.append(key)

    async with ctx.transaction() as session:
        recorded = await repository.succeed(
            session, job.id, job.attempts, keys, ctx.clock()
        )
    if not recorded:
        # Deleted, reaped or taken over meanwhile: the result has no owner.
        for key in keys:
            await ctx.storage.delete(key)
        log.warning("imagine.result_discarded")
        return "skipped"
    log.info("imagine.job_succeeded", images=len(keys))
    return "succeeded"


async def _fail(ctx: JobContext, job: ImagineJob, message: str, cause: str) -> str:
    async with ctx.transaction() as session:
        failed = await repository.fail(
            session, [job.id], message, ctx.clock(), attempt=job.attempts
        )
        for user_id, cost in failed:
            await credits.refund(session, user_id, cost)
    # The cause, not the message: a back end's refusal may quote the prompt.
    log.warning("imagine.job_failed", cause=cause, refunded=bool(failed))
    return "failed"


async def reap(
    transaction: Transaction, settings: Settings, now: datetime
) -> list[int]:
    """Fail (and refund) jobs past their deadline and jobs whose workers died
    too often; put back in the queue those whose worker died. The ids to enqueue."""
    async with transaction() as session:
        overdue = await repository.overdue(session, now)
        await _fail_many(session, overdue, "The job did not finish in time.", now)
        abandoned = await repository.abandoned(session, now)
        spent = [i for i, tries in abandoned if tries >= settings.imagine_max_attempts]
        message = "The workers running this job stopped before it was done."
        await _fail_many(session, spent, message, now)
        retry = [i for i, tries in abandoned if tries < settings.imagine_max_attempts]
        requeued = await repository.requeue(session, retry) if retry else []
    if overdue or spent or requeued:
        log.warning(
            "imagine.reaped", overdue=len(overdue), spent=len(spent), requeued=requeued
        )
    return requeued


async def _fail_many(
    session: AsyncSession, job_ids: list[int], message: str, now: datetime
) -> None:
    if not job_ids:
        return
    for user_id, cost in await repository.fail(session, job_ids, message, now):
        await credits.refund(session, user_id, cost)
