"""The rules of image generation: admitting a job, reading and deleting them."""

import asyncio
import base64
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import structlog
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import after_commit
from app.errors import BadRequest
from app.imagine import credits, repository
from app.imagine.backends.factory import BackendInfo
from app.imagine.errors import ImagineNotConfigured, Rejection
from app.imagine.inputs import (
    InputImage,
    check_prompt,
    generation_kind,
    image_size,
    input_images,
)
from app.imagine.schemas import GenerationRequest, HistoryRequest
from app.kit import cursor as cursors
from app.kit.fetch import Fetcher
from app.media.storage import Storage
from app.models import ImagineJob, User
from app.models.imagine import ACTIVE_STATUSES, JobStatus

log = structlog.get_logger(__name__)

WAIT_POLL_SECONDS = (0.05, 0.1, 0.2, 0.4)


class InvalidCursor(BadRequest):
    pass


def media_prefix(job: ImagineJob) -> str:
    return f"imagine/{job.user_id}/{job.uuid}/"


async def create_job(
    session: AsyncSession,
    storage: Storage,
    user: User,
    request: GenerationRequest,
    settings: Settings,
    backend: BackendInfo | None,
    fetcher: Fetcher,
) -> ImagineJob:
    """Check the request, charge its cost and record it as a queued job.

    The caller enqueues the job once the transaction has committed.
    """
    kind = _supported_kind(request, backend, settings)
    check_prompt(request.prompt, settings.imagine_blocked_terms)
    images = await input_images(request, kind, fetcher)
    cost = settings.imagine_costs.get(kind, 0) * request.num_images
    if not await credits.charge(session, user.id, cost):
        log.warning("imagine.out_of_credits", cost=cost)
        raise Rejection(
            "out_of_credits",
            "account",
            f"This generation costs {cost} credits and you have {user.credits}.",
        )

    assert backend is not None
    job = _new_job(user, request, kind, cost, backend.name, settings)
    job.parameters["inputs"] = await _store_inputs(storage, job, images)
    session.add(job)
    await session.flush()
    log.info("imagine.job_created", job_id=job.id, kind=kind, cost=cost)
    return job


def _supported_kind(
    request: GenerationRequest, backend: BackendInfo | None, settings: Settings
) -> str:
    if backend is None:
        raise ImagineNotConfigured()
    kind = generation_kind(request)
    if kind not in backend.capabilities:
        does = ", ".join(sorted(backend.capabilities))
        raise Rejection(
            "unknown",
            "generation_type",
            f"The generation type '{request.generation_type}' is not supported by "
            f"this server; its {backend.name} back end does: {does}.",
        )
    if request.num_images > settings.imagine_max_images:
        raise Rejection(
            "unknown",
            "num_images",
            f"This server makes at most {settings.imagine_max_images} images a job.",
        )
    return kind


def _new_job(
    user: User,
    request: GenerationRequest,
    kind: str,
    cost: int,
    backend: str,
    settings: Settings,
) -> ImagineJob:
    width, height = image_size(request.aspect_ratio, settings.imagine_base_size)
    deadline = datetime.now(UTC) + timedelta(
        seconds=settings.imagine_job_timeout_seconds
    )
    return ImagineJob(
        uuid=uuid4(),
        generation_uuid=uuid4(),
        user_id=user.id,
        generation_type=kind,
        media_type="image",
        status=JobStatus.QUEUED,
        backend=backend,
        prompt=request.prompt,
        negative_prompt=request.negative_prompt,
        parameters={
            "seed": request.seed,
            "aspect_ratio": request.aspect_ratio,
            "width": width,
            "height": height,
            "steps": request.num_inference_steps,
            "guidance_scale": request.guidance_scale,
            "strength": request.strength,
            "num_images": request.num_images,
        },
        cost=cost,
        media_keys=[],
        deadline=deadline,
    )


async def _store_inputs(
    storage: Storage, job: ImagineJob, images: list[InputImage]
) -> dict[str, str]:
    # Written before the commit: a failed commit leaves an unreferenced folder,
    # never a job whose inputs are missing.
    keys = {}
    for image in images:
        key = f"{media_prefix(job)}input-{image.role}.{image.extension}"
        await storage.put(key, image.data, f"image/{image.extension}")
        keys[image.role] = key
    return keys


async def fail_unqueued(session: AsyncSession, job_id: int) -> None:
    """Fail and refund a job whose message could not be queued."""
    now = datetime.now(UTC)
    failed = await repository.fail(
        session, [job_id], "The job could not be queued.", now
    )
    for user_id, cost in failed:
        await credits.refund(session, user_id, cost)


async def wait_for_job(
    session: AsyncSession, job_id: int, wait_seconds: float
) -> ImagineJob | None:
    """The job once it has ended, or as it is after ``wait_seconds``.

    Each look is its own short transaction, so that no connection is held
    while waiting.
    """
    loop = asyncio.get_running_loop()
    give_up = loop.time() + wait_seconds
    for attempt in itertools.count():
        job = await repository.get(session, job_id)
        # Nothing was written: this only ends the read, keeping the job loaded
        # (a rollback would expire it).
        await session.commit()
        if job is None or job.status not in ACTIVE_STATUSES:
            return job
        pause = WAIT_POLL_SECONDS[min(attempt, len(WAIT_POLL_SECONDS) - 1)]
        if loop.time() + pause > give_up:
            return job
        await asyncio.sleep(pause)
    raise AssertionError("unreachable")


async def get_item(session: AsyncSession, user: User, ref: str) -> ImagineJob | None:
    parsed = repository.parse_uuids([ref])
    if not parsed:
        return None
    return await repository.get_own(session, user.id, parsed[0])


@dataclass
class HistoryPage:
    jobs: list[ImagineJob]
    cursor: str | None


async def history(
    session: AsyncSession, user: User, query: HistoryRequest
) -> HistoryPage:
    """The caller's jobs matching the query, one keyset page."""
    after = decode_cursor(query) if query.cursor else None
    stmt = repository.history_query(user.id, query.order_by, query.asc, after)
    stmt = _filtered(stmt, query)
    rows = list((await session.execute(stmt.limit(query.first + 1))).scalars())
    jobs = rows[: query.first]
    more = len(rows) > query.first
    return HistoryPage(jobs, encode_cursor(query, jobs[-1]) if more else None)


def _filtered(stmt: Select[ImagineJob], query: HistoryRequest) -> Select[ImagineJob]:
    if query.generation_uuids:
        wanted = repository.parse_uuids(query.generation_uuids)
        stmt = stmt.where(ImagineJob.generation_uuid.in_(wanted))
    if query.uuids:
        stmt = stmt.where(ImagineJob.uuid.in_(repository.parse_uuids(query.uuids)))
    if query.generated_only:
        stmt = stmt.where(ImagineJob.status == JobStatus.SUCCEEDED)
    if query.media_types:
        stmt = stmt.where(ImagineJob.media_type.in_(query.media_types))
    return stmt


def encode_cursor(query: HistoryRequest, last: ImagineJob) -> str:
    value: Any = (
        last.created_at.isoformat() if query.order_by == "created_at" else last.cost
    )
    return cursors.encode_cursor(
        {"o": query.order_by, "a": query.asc, "v": value, "i": last.id}
    )


def decode_cursor(query: HistoryRequest) -> tuple[Any, int]:
    assert query.cursor is not None
    try:
        data = cursors.decode_cursor(query.cursor)
        value = data["v"]
        if data["o"] == "created_at":
            value = datetime.fromisoformat(value)
        if data["o"] != query.order_by or data["a"] != query.asc:
            raise ValueError("cursor of another order")
        return value, int(data["i"])
    except (ValueError, KeyError, TypeError):
        raise InvalidCursor(
            "Invalid cursor: pass back the cursor of the previous page with the "
            "same order_by and asc."
        ) from None


@dataclass
class Deletion:
    successes: list[str]
    failures: list[str]


async def delete_items(
    session: AsyncSession, storage: Storage, user: User, refs: list[str]
) -> Deletion:
    """Delete the caller's items; a job not yet done is cancelled and refunded."""
    jobs = await repository.delete_own(session, user.id, repository.parse_uuids(refs))

    matched = {job.uuid for job in jobs} | {job.generation_uuid for job in jobs}
    for job in jobs:
        if job.status in ACTIVE_STATUSES:
            await credits.refund(session, user.id, job.cost)
    prefixes = [media_prefix(job) for job in jobs]

    async def remove_media() -> None:
        for prefix in prefixes:
            await storage.delete_prefix(prefix)

    after_commit(session, remove_media)
    log.info("imagine.items_deleted", count=len(jobs))
    found = set(repository.parse_uuids(refs)) & matched
    successes = [ref for ref in refs if _as_uuid(ref) in found]
    return Deletion(successes, [ref for ref in refs if _as_uuid(ref) not in found])


def _as_uuid(ref: str) -> UUID | None:
    parsed = repository.parse_uuids([ref])
    return parsed[0] if parsed else None


async def raw_media(storage: Storage, job: ImagineJob) -> list[str]:
    """Each media file of the job as base64 (missing files are left out)."""
    raws = []
    for key in job.media_keys:
        data = await storage.get(key)
        if data is not None:
            raws.append(base64.b64encode(data).decode("ascii"))
    return raws
