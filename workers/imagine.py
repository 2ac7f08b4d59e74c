"""Image generation tasks: thin shims over the job functions of ``app.imagine``.

A message carries a job id only; the job row holds everything else. Running a
task twice for one job is harmless (see ``app.imagine.jobs.run_job``).
"""

import asyncio

import structlog
from celery import Task

from app.config import get_settings
from app.imagine import runtime
from app.imagine.queue import TASK_RUN_JOB
from workers.celery_app import celery_app

log = structlog.get_logger(__name__)

TASK_REAP = "imagine.reap"


@celery_app.task(name=TASK_RUN_JOB, bind=True)  # type: ignore[untyped-decorator]
def run_job(task: Task, job_id: int) -> None:
    structlog.contextvars.bind_contextvars(task_id=task.request.id, job_id=job_id)
    try:
        asyncio.run(runtime.run_job_in_worker(get_settings(), job_id))
    finally:
        structlog.contextvars.unbind_contextvars("task_id", "job_id")


@celery_app.task(name=TASK_REAP)  # type: ignore[untyped-decorator]
def reap() -> None:
    requeued = asyncio.run(runtime.reap_in_worker(get_settings()))
    for job_id in requeued:
        run_job.delay(job_id)


celery_app.conf.beat_schedule = {
    **(celery_app.conf.beat_schedule or {}),
    TASK_REAP: {"task": TASK_REAP, "schedule": get_settings().imagine_reap_seconds},
}
