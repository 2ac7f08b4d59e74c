"""Periodic refresh of the figures the search sorts and counts by."""

from app.search import stats
from workers.celery_app import celery_app

REFRESH_SECONDS = 300.0


@celery_app.task(name="search.refresh_stats")  # type: ignore[untyped-decorator]
def refresh_stats() -> None:
    from workers.runner import run_job

    run_job(stats.refresh)


celery_app.conf.beat_schedule = {
    **(celery_app.conf.beat_schedule or {}),
    "search.refresh_stats": {
        "task": "search.refresh_stats",
        "schedule": REFRESH_SECONDS,
    },
}
