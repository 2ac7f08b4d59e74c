"""`rostro serve` as a user runs it: a real process on a real port."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

START_TIMEOUT = 90


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def environment(embedded_data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"ROSTRO_DATABASE_URL", "ROSTRO_REDIS_URL"}
    }
    env.update(
        ROSTRO_DATA_DIR=str(embedded_data_dir),
        ROSTRO_PORT=str(_free_port()),
        ROSTRO_WORKER_CONCURRENCY="1",
    )
    return env


def _rostro(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes]) -> dict[str, object]:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, "rostro serve exited during start-up"
        try:
            body: dict[str, object] = httpx.get(f"{base_url}/healthz", timeout=2).json()
        except httpx.HTTPError:
            time.sleep(0.3)
            continue
        if body["status"] == "ok":
            return body
        time.sleep(0.3)
    raise AssertionError("rostro serve did not become healthy in time")


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


@pytest.fixture
def serve(environment: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(_rostro("serve"), env=environment)
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


class TestServeLifecycle:
    def test_start_stop_start_keeps_users_and_configs(
        self, environment: dict[str, str], serve: subprocess.Popen[bytes]
    ) -> None:
        base_url = f"http://127.0.0.1:{environment['ROSTRO_PORT']}"
        data_dir = Path(environment["ROSTRO_DATA_DIR"])

        health = _wait_healthy(base_url, serve)
        created = subprocess.run(
            _rostro("users", "create", "alice"),
            env=environment, capture_output=True, text=True, check=True,
        )  # fmt: skip
        key = created.stdout.strip().splitlines()[-1]
        saved = httpx.post(
            f"{base_url}/config/ui/theme",
            json={"value": {"dark": True}},
            headers={"CH-API-KEY": key},
        )
        second = subprocess.run(
            _rostro("serve"),
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
        first_exit = _stop(serve)
        postmaster_after_stop = (data_dir / "postgres" / "postmaster.pid").exists()

        restarted = subprocess.Popen(_rostro("serve", "--no-worker"), env=environment)
        try:
            _wait_for_api(base_url, restarted)
            me = httpx.get(f"{base_url}/api/self", headers={"Authorization": key})
            configs = httpx.get(f"{base_url}/config", headers={"samwise": key})
        finally:
            second_exit = _stop(restarted)

        assert health["worker"]["ok"] is True  # type: ignore[index]
        assert key.startswith("rst_")
        assert saved.json() == {"message": "success", "success": True}
        assert second.returncode == 1
        assert "already running" in second.stderr
        assert first_exit == 0
        assert postmaster_after_stop is False
        assert me.json()["username"] == "alice"
        assert configs.json()["configs"][0]["value"] == {"dark": True}
        assert second_exit == 0


def _wait_for_api(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, "rostro serve exited during start-up"
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("rostro serve did not answer in time")
