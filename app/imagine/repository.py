"""SQL statements of the imagine domain.

Every change of a job's status is one conditional UPDATE, so that workers, the
reaper and deletions racing on a job never both act on it.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Select, delete, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ImagineJob, JobStatus
from app.models.imagine import ACTIVE_STATUSES


def parse_uuids(values: Sequence[str]) -> list[UUID]:
    """The values that are UUIDs; others cannot match any job."""
    parsed = []
    for value in values:
        try:
            parsed.append(UUID(value))
        except ValueError:
            continue
    return parsed


async def get_own(session: AsyncSession, user_id: int, ref: UUID) -> ImagineJob | None:
    """The caller's job with this uuid (or, failing that, generation uuid)."""
    stmt = (
        select(ImagineJob)
        .where(
            ImagineJob.user_id == user_id,
            or_(ImagineJob.uuid == ref, ImagineJob.generation_uuid == ref),
        )
        .order_by(ImagineJob.uuid != ref, ImagineJob.id)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get(session: AsyncSession, job_id: int) -> ImagineJob | None:
    stmt = select(ImagineJob).where(ImagineJob.id == job_id)
    stmt = stmt.execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def claim(
    session: AsyncSession, job_id: int, now: datetime, lease: timedelta
) -> ImagineJob | None:
    """Mark the job running for this worker, if it is queued or its last
    worker's lease ran out; None when another worker holds it or it is over."""
    stmt = (
        update(ImagineJob)
        .where(
            ImagineJob.id == job_id,
            ImagineJob.deadline > now,
            or_(
                ImagineJob.status == JobStatus.QUEUED,
                (ImagineJob.status == JobStatus.RUNNING)
                & (ImagineJob.lease_until < now),
            ),
        )
        .values(
            status=JobStatus.RUNNING,
            attempts=ImagineJob.attempts + 1,
            started_at=now,
            lease_until=now + lease,
        )
        .returning(ImagineJob)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def _held(job_id: int, attempt: int) -> Any:
    return (
        (ImagineJob.id == job_id)
        & (ImagineJob.status == JobStatus.RUNNING)
        & (ImagineJob.attempts == attempt)
    )


async def extend_lease(
    session: AsyncSession, job_id: int, attempt: int, until: datetime
) -> bool:
    stmt = (
        update(ImagineJob)
        .where(_held(job_id, attempt))
        .values(lease_until=until)
        .returning(ImagineJob.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def succeed(
    session: AsyncSession, job_id: int, attempt: int, keys: list[str], now: datetime
) -> bool:
    """Record the results; False when this worker no longer holds the job."""
    stmt = (
        update(ImagineJob)
        .where(_held(job_id, attempt))
        .values(
            status=JobStatus.SUCCEEDED,
            media_keys=keys,
            finished_at=now,
            lease_until=None,
        )
        .returning(ImagineJob.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def fail(
    session: AsyncSession,
    job_ids: Sequence[int],
    error: str,
    now: datetime,
    attempt: int | None = None,
) -> list[tuple[int, int]]:
    """Fail the jobs still in flight; (user id, cost) of each one failed here."""
    condition = ImagineJob.id.in_(job_ids) & ImagineJob.status.in_(ACTIVE_STATUSES)
    if attempt is not None:
        condition = condition & (ImagineJob.attempts == attempt)
    stmt = (
        update(ImagineJob)
        .where(condition)
        .values(status=JobStatus.FAILED, error=error, finished_at=now, lease_until=None)
        .returning(ImagineJob.user_id, ImagineJob.cost)
    )
    return [(user_id, cost) for user_id, cost in await session.execute(stmt)]


async def overdue(session: AsyncSession, now: datetime) -> list[int]:
    stmt = select(ImagineJob.id).where(
        ImagineJob.status.in_(ACTIVE_STATUSES), ImagineJob.deadline < now
    )
    return list((await session.execute(stmt)).scalars())


async def abandoned(session: AsyncSession, now: datetime) -> list[tuple[int, int]]:
    """(id, attempts) of running jobs whose worker stopped renewing its lease."""
    stmt = (
        select(ImagineJob.id, ImagineJob.attempts)
        .where(ImagineJob.status == JobStatus.RUNNING, ImagineJob.lease_until < now)
        .with_for_update(skip_locked=True)
    )
    return [(job_id, attempts) for job_id, attempts in await session.execute(stmt)]


async def requeue(session: AsyncSession, job_ids: Sequence[int]) -> list[int]:
    stmt = (
        update(ImagineJob)
        .where(ImagineJob.id.in_(job_ids), ImagineJob.status == JobStatus.RUNNING)
        .values(status=JobStatus.QUEUED, lease_until=None)
        .returning(ImagineJob.id)
    )
    return list((await session.execute(stmt)).scalars())


def history_query(
    user_id: int, order_by: str, asc: bool, after: tuple[Any, int] | None
) -> Select[ImagineJob]:
    """The caller's jobs in a stable order: the sort column, then the id."""
    column = ImagineJob.created_at if order_by == "created_at" else ImagineJob.cost
    stmt = select(ImagineJob).where(ImagineJob.user_id == user_id)
    if after is not None:
        key = tuple_(column, ImagineJob.id)
        stmt = stmt.where(key > tuple_(*after) if asc else key < tuple_(*after))
    if asc:
        return stmt.order_by(column.asc(), ImagineJob.id.asc())
    return stmt.order_by(column.desc(), ImagineJob.id.desc())


async def delete_own(
    session: AsyncSession, user_id: int, refs: Sequence[UUID]
) -> list[ImagineJob]:
    """Delete the caller's jobs with these uuids or generation uuids."""
    stmt = (
        delete(ImagineJob)
        .where(
            ImagineJob.user_id == user_id,
            or_(ImagineJob.uuid.in_(refs), ImagineJob.generation_uuid.in_(refs)),
        )
        .returning(ImagineJob)
    )
    return list((await session.execute(stmt)).scalars())
