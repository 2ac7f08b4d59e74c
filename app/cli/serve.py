"""``rostro serve``, ``rostro worker`` and ``rostro migrate``."""

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from types import FrameType
from typing import Annotated

import structlog
import typer
import uvicorn

from app.config import Settings, get_settings
from app.embedded import AlreadyRunning, instance_lock, start_postgres, start_redis
from app.logging import configure_logging
from app.migrate import upgrade_to_head
from app.search import stats
from workers.runner import run_job

log = structlog.get_logger(__name__)

WORKER_STOP_SECONDS = 30
PR_SET_PDEATHSIG = 1


def _sigterm_as_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _start_embedded(stack: contextlib.ExitStack, settings: Settings) -> None:
    """Start what is not configured and point this process and its children
    at it through the environment."""
    if settings.database_url is None:
        postgres = start_postgres(settings.data_dir)
        stack.callback(postgres.stop)
        os.environ["ROSTRO_DATABASE_URL"] = postgres.url
    if settings.redis_url is None:
        redis = start_redis(settings.data_dir)
        stack.callback(redis.stop)
        os.environ["ROSTRO_REDIS_URL"] = redis.url
    get_settings.cache_clear()


def _worker_command(concurrency: int, beat: bool) -> list[str]:
    command = [
        sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker",
        "--loglevel", "INFO", "--concurrency", str(concurrency),
        "--hostname", "rostro@%h",
    ]  # fmt: skip
    # The periodic jobs (trending scores, tag counts, ...) need one beat.
    return [*command, "--beat"] if beat else command


def _stop_with_parent() -> None:
    # Run in the worker before exec: Linux sends it SIGTERM (a warm shutdown)
    # when `rostro serve` dies, even by SIGKILL, rather than leave it orphaned
    # beside the worker of the next start.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _start_worker(concurrency: int) -> subprocess.Popen[bytes]:
    linux = sys.platform == "linux"
    return subprocess.Popen(
        _worker_command(concurrency, beat=True),
        preexec_fn=_stop_with_parent if linux else None,
    )


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # SIGTERM is Celery's warm shutdown: running jobs finish first.
    process.terminate()
    try:
        process.wait(WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.info("serve.worker_stopped")


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[
        int | None, typer.Option("--api-workers", help="API processes.")
    ] = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Do not start a job worker.")
    ] = False,
) -> None:
    """Start the whole service: database, Redis, migrations, worker and API."""
    settings = get_settings()
    configure_logging(settings)
    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    try:
        with contextlib.ExitStack() as stack:
            if settings.database_url is None or settings.redis_url is None:
                # Embedded servers keep their files in the data directory, which
                # one process at a time may own. With servers of their own,
                # several API processes may share everything.
                stack.enter_context(instance_lock(settings.data_dir))
            _start_embedded(stack, settings)
            upgrade_to_head()
            log.info("serve.migrated")
            run_job(stats.refresh)
            if not no_worker:
                worker_process = _start_worker(settings.worker_concurrency)
                stack.callback(_stop_process, worker_process)
            uvicorn.run(
                "app.main:create_app",
                factory=True,
                host=host or settings.host,
                port=port or settings.port,
                workers=workers or settings.api_workers,
                log_config=None,
                timeout_graceful_shutdown=10,
            )
    except AlreadyRunning as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass
    log.info("serve.stopped")


def worker(
    concurrency: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
    beat: Annotated[
        bool, typer.Option("--beat", help="Also run the periodic jobs (once only).")
    ] = False,
) -> None:
    """Run a job worker alone, against ROSTRO_DATABASE_URL and ROSTRO_REDIS_URL."""
    settings = get_settings()
    if settings.database_url is None or settings.redis_url is None:
        typer.echo(
            "Error: a lone worker needs ROSTRO_DATABASE_URL and ROSTRO_REDIS_URL; "
            "`rostro serve` starts one itself.",
            err=True,
        )
        raise typer.Exit(1)
    command = _worker_command(concurrency or settings.worker_concurrency, beat)
    os.execv(sys.executable, command)


def migrate() -> None:
    """Bring the database schema to the newest revision."""
    from app.cli.runtime import database_for_command

    with database_for_command() as url:
        upgrade_to_head(url)
    typer.echo("The database is at the newest revision.")
