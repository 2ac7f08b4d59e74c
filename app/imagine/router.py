from typing import Annotated

from fastapi import APIRouter, Body, Path, Request

from app.auth.dependencies import CurrentUser
from app.db import SessionDep, after_commit, run_after_commit
from app.imagine import service
from app.imagine.dependencies import BackendInfoDep, JobQueueDep
from app.imagine.errors import GenerationNotFound, QueueUnavailable
from app.imagine.schemas import (
    CostList,
    DeletionRequest,
    DeletionResponse,
    GenerationRequest,
    HistoryRequest,
    ImaginedItem,
    ImaginedItems,
)
from app.kit.dependencies import SettingsDep
from app.kit.fetch import FetcherDep
from app.kit.urls import base_url
from app.media.dependencies import StorageDep
from app.media.storage import Storage
from app.models import ImagineJob
from app.models.imagine import ACTIVE_STATUSES, JobStatus

router = APIRouter(tags=["Imagine"])

NOTES = {
    JobStatus.QUEUED: "Queued; poll POST /imagine/history with its generation_uuid.",
    JobStatus.RUNNING: "Generating; poll POST /imagine/history with its "
    "generation_uuid.",
}


@router.post("/imagine")
async def imagine(
    request: Request,
    body: GenerationRequest,
    session: SessionDep,
    user: CurrentUser,
    storage: StorageDep,
    settings: SettingsDep,
    backend: BackendInfoDep,
    queue: JobQueueDep,
    fetcher: FetcherDep,
    return_immediate: bool = False,
) -> ImaginedItem:
    """Generate images; answer when the job ends, or at once with return_immediate."""
    job = await service.create_job(
        session, storage, user, body, settings, backend, fetcher
    )

    job_id = job.id

    async def enqueue() -> None:
        try:
            await queue.enqueue(job_id)
        except QueueUnavailable:
            await service.fail_unqueued(session, job_id)
            await session.commit()
            raise

    after_commit(session, enqueue)
    if not return_immediate:
        # The worker can only see the job, and we can only wait, once it is
        # committed and queued.
        await session.commit()
        await run_after_commit(session)
        waited = await service.wait_for_job(
            session, job_id, settings.imagine_wait_seconds
        )
        job = waited or job
    return to_item(job, base_url(request))


@router.post("/imagine/history")
async def imagine_history(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    storage: StorageDep,
    body: Annotated[HistoryRequest | None, Body()] = None,
) -> ImaginedItems:
    """List your generations, newest first, one keyset page at a time."""
    query = body or HistoryRequest()
    page = await service.history(session, user, query)

    base = base_url(request)
    items = [
        to_item(job, base, await _raw(storage, job) if query.return_raw else None)
        for job in page.jobs
    ]
    return ImaginedItems(items=items, cursor=page.cursor, previous_cursor=query.cursor)


@router.post("/imagine/history/delete")
async def delete_imagine_history(
    body: DeletionRequest, session: SessionDep, user: CurrentUser, storage: StorageDep
) -> DeletionResponse:
    """Delete your generations with these uuids and their media."""
    result = await service.delete_items(session, storage, user, body.uuids)
    return DeletionResponse(successes=result.successes, failures=result.failures)


@router.get("/imagine/project/{uuid}")
async def get_imagine_project(
    request: Request,
    uuid: Annotated[str, Path(max_length=64)],
    session: SessionDep,
    user: CurrentUser,
) -> ImaginedItem:
    """One of your generations, by its uuid or generation uuid."""
    job = await service.get_item(session, user, uuid)
    if job is None:
        raise GenerationNotFound()
    return to_item(job, base_url(request))


@router.get("/images/costs")
async def get_image_costs(settings: SettingsDep, backend: BackendInfoDep) -> CostList:
    """The credits each generation type costs per image on this server."""
    kinds = sorted(backend.capabilities) if backend else []
    return CostList(
        costs={kind: settings.imagine_costs.get(kind, 0) for kind in kinds},
        backend=backend.name if backend else None,
        supported_generation_types=kinds,
    )


async def _raw(storage: Storage, job: ImagineJob) -> list[str]:
    return await service.raw_media(storage, job)


def to_item(job: ImagineJob, base: str, raw: list[str] | None = None) -> ImaginedItem:
    urls = [f"{base}/media/{key}" for key in job.media_keys]
    return ImaginedItem(
        generation_uuid=str(job.generation_uuid),
        uuid=str(job.uuid),
        user_id=job.user_id,
        cost=job.cost,
        primary_media_url=urls[0] if urls else None,
        secondary_media_urls=urls[1:],
        description=job.prompt,
        is_done=job.status not in ACTIVE_STATUSES,
        is_failed=job.status == JobStatus.FAILED,
        error=job.error,
        note=NOTES.get(job.status),
        status=job.status.value,
        generation_type=job.generation_type,
        media_type=job.media_type,
        created_at=job.created_at,
        finished_at=job.finished_at,
        raw_media=raw,
    )
