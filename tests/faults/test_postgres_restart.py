"""PostgreSQL stopped and started again under the feet of a running API."""

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.faults.servers import (
    ANSWER_SECONDS,
    Postgres,
    RedisServer,
    environment,
    free_port,
    running,
    wait_for_api,
    wait_until,
)

CLIENTS = 3
DOWN_SECONDS = 2.0
# Requests sent this long after PostgreSQL is back must all succeed.
RECOVERY_SECONDS = 5.0
ERROR_KEYS = {"detail", "error", "errorCode", "code"}


@dataclass
class Outcome:
    started: float
    ended: float
    request: str
    status: int | str
    body: Any
    # The config key a write set, if it was one.
    config: str | None = None


class Load:
    """Clients that read and write in a loop, recording every outcome."""

    def __init__(self, base_url: str, key: str, path: str) -> None:
        self.base_url = base_url
        self.headers = {"CH-API-KEY": key}
        self.path = path
        self.outcomes: list[Outcome] = []
        self.stopped = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(n,)) for n in range(CLIENTS)
        ]

    def __enter__(self) -> "Load":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join()

    def _run(self, client_number: int) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            n = 0
            while not self.stopped.is_set():
                n += 1
                name = f"c{client_number}-{n}"
                for request in (
                    ("GET", "/search", {"params": {"search": "Mira"}}),
                    ("GET", f"/api/characters/{self.path}", {}),
                    ("POST", f"/config/faults/{name}", {"json": {"value": n}}),
                    ("POST", "/api/core/characters", {"json": {"name": name}}),
                ):
                    self._send(client, name, *request)

    def _send(
        self,
        client: httpx.Client,
        name: str,
        method: str,
        url: str,
        options: dict[str, Any],
    ) -> None:
        started = time.monotonic()
        try:
            response = client.request(method, url, headers=self.headers, **options)
        except httpx.HTTPError as error:
            status: int | str = type(error).__name__
            body = None
        else:
            status = response.status_code
            body = _json(response)
        config = name if url.startswith("/config/") else None
        self.outcomes.append(
            Outcome(started, time.monotonic(), f"{method} {url}", status, body, config)
        )

    def count(self, since: float) -> int:
        return sum(1 for o in list(self.outcomes) if o.started >= since)


def _json(response: httpx.Response) -> Any:
    if response.headers.get("content-type") != "application/json":
        return None
    return response.json()


def _is_unavailable(outcome: Outcome) -> bool:
    body = outcome.body
    return (
        outcome.status == 503
        and isinstance(body, dict)
        and ERROR_KEYS <= body.keys()
        and body["code"] == 503
        and outcome.ended - outcome.started < ANSWER_SECONDS
    )


def _ok(outcome: Outcome) -> bool:
    return isinstance(outcome.status, int) and 200 <= outcome.status < 300


class TestPostgresRestart:
    def test_503_while_down_then_recovers_without_a_restart(
        self, own_postgres: Postgres, own_redis: RedisServer, tmp_path: Path
    ) -> None:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = environment(
            ROSTRO_DATABASE_URL=own_postgres.url,
            ROSTRO_REDIS_URL=own_redis.url,
            ROSTRO_DATA_DIR=str(tmp_path / "data"),
            ROSTRO_PORT=str(port),
            ROSTRO_OPEN_REGISTRATION="true",
            ROSTRO_RATE_LIMIT_ENABLED="false",
        )

        with running(env, "serve", "--no-worker") as serve:
            wait_for_api(base_url, serve)
            key = httpx.post(
                f"{base_url}/api/auth/register", json={"username": "alice"}
            ).json()["api_key"]
            created = httpx.post(
                f"{base_url}/api/core/characters",
                json={"name": "Mira"},
                headers={"CH-API-KEY": key},
            ).json()
            with Load(base_url, key, created["fullPath"]) as load:
                wait_until(lambda: load.count(0) >= 20, 30, "no load")
                stopping = time.monotonic()
                own_postgres.stop()
                down = time.monotonic()
                health = httpx.get(f"{base_url}/healthz", timeout=10)
                wait_until(
                    lambda: (
                        time.monotonic() - down > DOWN_SECONDS
                        and load.count(down) >= 12
                    ),
                    30,
                    "too few requests while PostgreSQL was down",
                )
                starting = time.monotonic()
                own_postgres.start()
                up = time.monotonic()
                settled = up + RECOVERY_SECONDS
                wait_until(lambda: load.count(settled) >= 40, 60, "too few after")
            configs = httpx.get(
                f"{base_url}/config", headers={"CH-API-KEY": key}, timeout=10
            ).json()["configs"]
            serve_survived = serve.alive()

        outcomes = load.outcomes
        before = [o for o in outcomes if o.ended < stopping]
        while_down = [o for o in outcomes if o.started > down and o.ended < starting]
        after = [o for o in outcomes if o.started > settled]
        others = [o for o in outcomes if o not in before + while_down + after]
        first_ok = min(o.started for o in outcomes if o.started > up and _ok(o))
        written = {o.config for o in outcomes if o.config and _ok(o)}
        stored = {c["sub_id"] for c in configs if c["config_id"] == "faults"}
        assert serve_survived
        assert health.status_code == 503
        assert health.json()["database"]["ok"] is False
        assert before
        assert [o for o in before if not _ok(o)] == []
        assert [o for o in while_down if not _is_unavailable(o)] == []
        assert [o for o in others if not (_ok(o) or _is_unavailable(o))] == []
        assert first_ok - up < RECOVERY_SECONDS
        assert len(after) >= 40
        assert [o for o in after if not _ok(o)] == []
        assert written <= stored
