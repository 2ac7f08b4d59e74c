"""Periodic refresh of the leaderboard's per-creator figures."""

from typing import Any

from celery.signals import worker_ready

from app.social import leaderboard
from workers.celery_app import celery_app

REFRESH_SECONDS = 300.0


@celery_app.task(name="social.refresh_creator_stats")  # type: ignore[untyped-decorator]
def refresh_creator_stats() -> None:
    from workers.runner import run_job

    run_job(leaderboard.refresh_creator_stats)


@worker_ready.connect  # type: ignore[untyped-decorator]
def _refresh_at_start(**_: Any) -> None:
    # Beat's first run comes one interval after start; a new hub should not
    # show an empty leaderboard for that long.
    refresh_creator_stats.delay()


celery_app.conf.beat_schedule = {
    **(celery_app.conf.beat_schedule or {}),
    "social.refresh_creator_stats": {
        "task": "social.refresh_creator_stats",
        "schedule": REFRESH_SECONDS,
    },
}
