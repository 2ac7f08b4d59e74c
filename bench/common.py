"""Shared pieces of the benchmarks: a fresh `rostro serve`, timings."""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROSTRO = [sys.executable, "-m", "app.cli"]


@dataclass
class Server:
    base_url: str
    data_dir: Path
    env: dict[str, str]
    key: str
    pid: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(
    *extra: str, settings: dict[str, str] | None = None
) -> Iterator[Server]:
    """`rostro serve` on an empty data directory, with a user `bench`;
    ``settings`` adds ``ROSTRO_`` variables."""
    data_dir = Path(tempfile.mkdtemp(prefix="rostro-bench-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRO_")}
    env.update(ROSTRO_DATA_DIR=str(data_dir), ROSTRO_PORT=str(port))
    env["ROSTRO_LOG_LEVEL"] = "WARNING"
    # The benchmarks measure the service, not its rate limits.
    env["ROSTRO_RATE_LIMIT_ENABLED"] = "false"
    env.update(settings or {})
    created = subprocess.run(
        [*ROSTRO, "users", "create", "bench"], env=env, check=True, capture_output=True,
        text=True,
    )  # fmt: skip
    key = created.stdout.strip().splitlines()[-1]
    process = subprocess.Popen([*ROSTRO, "serve", *extra], env=env)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait(base_url)
        yield Server(base_url, data_dir, env, key, process.pid)
    finally:
        process.terminate()
        process.wait(60)


def _wait(base_url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the server did not start")


def report(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    p50 = statistics.median(ms)
    p90 = ms[int(len(ms) * 0.9) - 1]
    p99 = ms[max(int(len(ms) * 0.99) - 1, 0)]
    figures = f"p50 {p50:6.2f} ms  p90 {p90:6.2f} ms  p99 {p99:6.2f} ms"
    print(f"{name:40s} n={len(ms):5d}  {figures}")
