"""`rostro serve` SIGKILLed while clients write: every write it acknowledged
is there after a restart on the same data directory."""

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from tests.faults.servers import (
    Rostro,
    embedded_servers,
    environment,
    free_port,
    in_groups,
    kill_leftovers,
    wait_for_api,
    wait_until,
)

WRITERS = 3
ACKNOWLEDGED_BEFORE_KILL = 60

Kill = Callable[[Rostro, Path], None]


class Writers:
    """Clients that write as fast as they can and note what was acknowledged."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url
        self.headers = {"CH-API-KEY": key}
        self.configs: dict[str, int] = {}
        self.characters: list[str] = []
        self.stopped = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(n,)) for n in range(WRITERS)
        ]

    def __enter__(self) -> "Writers":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join()

    @property
    def acknowledged(self) -> int:
        return len(self.configs) + len(self.characters)

    def _run(self, writer: int) -> None:
        with httpx.Client(base_url=self.base_url, headers=self.headers) as client:
            n = 0
            while not self.stopped.is_set():
                n += 1
                name = f"w{writer}-{n}"
                try:
                    self._write(client, name, n)
                except httpx.HTTPError:
                    continue

    def _write(self, client: httpx.Client, name: str, n: int) -> None:
        saved = client.post(f"/config/faults/{name}", json={"value": n})
        if saved.is_success:
            self.configs[name] = n
        created = client.post("/api/core/characters", json={"name": name})
        if created.is_success:
            self.characters.append(created.json()["fullPath"])


def _missing(base_url: str, key: str, writers: Writers) -> list[str]:
    """The acknowledged writes the restarted service does not have."""
    headers = {"CH-API-KEY": key}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        rows = client.get("/config", params={"config_id": "faults"}).json()
        stored = {row["sub_id"]: row["value"] for row in rows["configs"]}
        missing = [k for k, v in writers.configs.items() if stored.get(k) != v]
        for path in writers.characters:
            if client.get(f"/api/characters/{path}").status_code != 200:
                missing.append(path)
    return missing


@dataclass
class Outcome:
    acknowledged: int
    # Embedded servers of the killed service still running when it restarts.
    survivors: list[int]
    missing: list[str]
    restart_exit: int
    left: list[int]


def _kill_serve(serve: Rostro, data_dir: Path) -> None:
    """The service's process alone: its worker should stop with it, the
    servers it started run on."""
    os.kill(serve.pid, signal.SIGKILL)
    serve.process.wait()


def _power_loss(serve: Rostro, data_dir: Path) -> None:
    """Every process at once, the servers that detached from it too."""
    servers = [psutil.Process(pid) for pid in embedded_servers(data_dir)]
    processes = servers + [c for s in servers for c in s.children(recursive=True)]
    serve.kill()
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(processes, timeout=30)


def _write_kill_restart(data_dir: Path, kill: Kill) -> Outcome:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = environment(
        ROSTRO_DATA_DIR=str(data_dir),
        ROSTRO_PORT=str(port),
        ROSTRO_OPEN_REGISTRATION="true",
        ROSTRO_RATE_LIMIT_ENABLED="false",
        ROSTRO_WORKER_CONCURRENCY="1",
    )
    first = Rostro(env, "serve")
    second: Rostro | None = None
    try:
        wait_for_api(base_url, first)
        key = httpx.post(
            f"{base_url}/api/auth/register", json={"username": "alice"}
        ).json()["api_key"]
        with Writers(base_url, key) as writers:
            wait_until(
                lambda: writers.acknowledged >= ACKNOWLEDGED_BEFORE_KILL,
                60,
                "too few writes",
            )
            kill(first, data_dir)
        wait_until(lambda: not in_groups(first), 60, "its worker ran on")
        survivors = embedded_servers(data_dir)

        second = Rostro(env, "serve", "--no-worker")
        wait_for_api(base_url, second)
        missing = _missing(base_url, key, writers)
        second.process.send_signal(signal.SIGTERM)
        restart_exit = second.process.wait(60)
        left = in_groups(first, second) + embedded_servers(data_dir)
    finally:
        kill_leftovers(data_dir, *[c for c in (first, second) if c is not None])
    return Outcome(writers.acknowledged, survivors, missing, restart_exit, left)


class TestServeKilled:
    def test_acknowledged_writes_survive_and_its_worker_stops(
        self, embedded_data_dir: Path
    ) -> None:
        outcome = _write_kill_restart(embedded_data_dir, _kill_serve)

        assert outcome.acknowledged >= ACKNOWLEDGED_BEFORE_KILL
        assert len(outcome.survivors) == 2
        assert outcome.missing == []
        assert outcome.restart_exit == 0
        assert outcome.left == []

    def test_acknowledged_writes_survive_a_power_loss(
        self, embedded_data_dir: Path
    ) -> None:
        outcome = _write_kill_restart(embedded_data_dir, _power_loss)

        assert outcome.acknowledged >= ACKNOWLEDGED_BEFORE_KILL
        assert outcome.survivors == []
        assert outcome.missing == []
        assert outcome.restart_exit == 0
        assert outcome.left == []
