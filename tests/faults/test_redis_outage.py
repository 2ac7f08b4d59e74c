"""Redis stopped under a running API and worker: reads go on, job submissions
are refused without a trace, and nothing accepted before is lost."""

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.models import ImagineJob, LoreItem, LorePassage, User
from tests.faults.servers import (
    ANSWER_SECONDS,
    RedisServer,
    environment,
    free_port,
    running,
    wait_for_api,
    wait_until,
)
from tests.imagine.fakes import Behaviour, FakeServer, automatic1111_app

JOB_SECONDS = 60
DOWN_SECONDS = 3.0
# Calls that need no Redis; submissions of jobs do.
UNAFFECTED = {"search", "character", "health", "config"}
SUBMISSIONS = {"imagine", "lore"}
ERROR_KEYS = {"detail", "error", "errorCode", "code"}


def lore_text(topic: str) -> str:
    """A text of several passages (of about 200 word pieces each)."""
    sentences = [
        f"The {topic} archive keeps record {n} of the northern harbour, where "
        f"ship {n} once unloaded amber, salt and letters for the lighthouse keeper."
        for n in range(60)
    ]
    return " ".join(sentences)


@pytest.fixture
def image_server() -> Iterator[tuple[Behaviour, FakeServer]]:
    behaviour = Behaviour()
    server = FakeServer(automatic1111_app(behaviour)).start()
    yield behaviour, server
    behaviour.mode = "ok"
    server.stop()


@dataclass
class Snapshot:
    jobs: int
    items: int
    passages: int
    credits: int


def snapshot(database_url: str, username: str) -> Snapshot:
    async def read() -> Snapshot:
        engine = create_async_engine(database_url, poolclass=NullPool)
        async with engine.connect() as connection:
            jobs = await connection.scalar(select(func.count()).select_from(ImagineJob))
            items = await connection.scalar(select(func.count()).select_from(LoreItem))
            passages = await connection.scalar(
                select(func.count()).select_from(LorePassage)
            )
            credits = await connection.scalar(
                select(User.credits).where(User.username == username)
            )
        await engine.dispose()
        return Snapshot(jobs or 0, items or 0, passages or 0, credits or 0)

    return asyncio.run(read())


class Hub:
    """Calls to the API as a client makes them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.headers: dict[str, str] = {}

    def __enter__(self) -> "Hub":
        return self

    def __exit__(self, *_: object) -> None:
        # An open keep-alive connection would hold up the server's shutdown.
        self.http.close()

    def register(self, username: str) -> None:
        response = self.http.post("/api/auth/register", json={"username": username})
        self.headers = {"CH-API-KEY": response.json()["api_key"]}

    def post(self, url: str, **options: Any) -> httpx.Response:
        return self.http.post(url, headers=self.headers, **options)

    def get(self, url: str, **options: Any) -> httpx.Response:
        return self.http.get(url, headers=self.headers, **options)

    def imagine(self, immediate: bool) -> httpx.Response:
        params = {"return_immediate": "true"} if immediate else {}
        return self.post("/imagine", json={"prompt": "a harbour"}, params=params)

    def add_lorebook(self, name: str) -> Any:
        entries = [
            {"keys": [f"ship {n}"], "content": f"Ship {n} carried amber.", "id": n}
            for n in range(8)
        ]
        body = {"name": name, "entries": entries}
        return self.post("/api/core/lorebooks", json=body).json()

    def job(self, uuid: str) -> Any:
        return self.get(f"/imagine/project/{uuid}").json()

    def add_lore(self, owner_id: int, topic: str) -> httpx.Response:
        data = {"owner_id": str(owner_id), "content": lore_text(topic)}
        return self.post("/lore/item", data=data)

    def lore_status(self, owner_id: int, uuid: str) -> str | None:
        items = self.get("/lore/items", params={"owner_ids": owner_id}).json()
        found = [i["status"] for i in items["items"] if i["uuid"] == uuid]
        return found[0] if found else None


@dataclass
class Answer:
    name: str
    status: int
    body: Any
    seconds: float

    def ok(self) -> bool:
        return self.status == 200 and self.seconds < ANSWER_SECONDS

    def unavailable(self) -> bool:
        return (
            self.status == 503
            and ERROR_KEYS <= self.body.keys()
            and self.body["code"] == 503
            and self.seconds < ANSWER_SECONDS
        )


def _while_down(hub: Hub, owner: Any) -> list[Answer]:
    """Reads, a write and submissions, again and again for a while."""
    calls = {
        "search": lambda: hub.get("/search"),
        "character": lambda: hub.get(f"/api/characters/{owner['fullPath']}"),
        "health": lambda: hub.get("/healthz"),
        "config": lambda: hub.post("/config/ui/theme", json={"value": "dark"}),
        "imagine": lambda: hub.imagine(immediate=False),
        "lore": lambda: hub.add_lore(owner["id"], "refused"),
    }
    answers: list[Answer] = []
    ends = time.monotonic() + DOWN_SECONDS
    while time.monotonic() < ends:
        for name, call in calls.items():
            started = time.monotonic()
            response = call()
            seconds = time.monotonic() - started
            answers.append(Answer(name, response.status_code, response.json(), seconds))
    return answers


class TestRedisOutage:
    def test_reads_go_on_submissions_are_refused_and_nothing_is_lost(
        self,
        own_database: str,
        own_redis: RedisServer,
        image_server: tuple[Behaviour, FakeServer],
        tmp_path: Path,
    ) -> None:
        behaviour, server = image_server
        port = free_port()
        env = environment(
            ROSTRO_DATABASE_URL=own_database,
            ROSTRO_REDIS_URL=own_redis.url,
            ROSTRO_DATA_DIR=str(tmp_path / "data"),
            ROSTRO_PORT=str(port),
            ROSTRO_OPEN_REGISTRATION="true",
            ROSTRO_IMAGINE_BACKEND="automatic1111",
            ROSTRO_IMAGINE_URL=server.url,
            ROSTRO_IMAGINE_RETRIES="0",
            ROSTRO_IMAGINE_WAIT_SECONDS="30",
            ROSTRO_LORE_INLINE_PASSAGES="1",
            ROSTRO_WORKER_CONCURRENCY="1",
        )
        base_url = f"http://127.0.0.1:{port}"

        with (
            running(env, "serve", "--no-worker") as serve,
            running(env, "worker"),
            Hub(base_url) as hub,
        ):
            wait_for_api(base_url, serve)
            hub.register("alice")
            owner = hub.post("/api/core/characters", json={"name": "Mira"}).json()
            # The worker loads its model for a lorebook's entries while the API
            # loads its own for the first upload.
            hub.add_lorebook("Harbour")
            # A job the worker holds through the outage, and lore queued behind it.
            behaviour.mode, behaviour.delay = "slow", JOB_SECONDS
            held = hub.imagine(immediate=True).json()
            queued = hub.add_lore(owner["id"], "queued").json()
            wait_until(
                lambda: hub.job(held["uuid"])["status"] == "running", 60, "not running"
            )
            before = snapshot(own_database, "alice")

            own_redis.stop()
            answers = _while_down(hub, owner)
            during = snapshot(own_database, "alice")
            own_redis.start()

            behaviour.mode = "ok"
            held_done = wait_until(
                lambda: (job := hub.job(held["uuid"]))["is_done"] and job, 60, "held"
            )
            wait_until(
                lambda: hub.lore_status(owner["id"], queued["uuid"]) == "ready",
                60,
                "the queued lore was not embedded",
            )
            after_image = hub.imagine(immediate=False)
            after_lore = hub.add_lore(owner["id"], "after").json()
            wait_until(
                lambda: hub.lore_status(owner["id"], after_lore["uuid"]) == "ready",
                60,
                "new lore was not embedded",
            )

        served = [a for a in answers if a.name in UNAFFECTED]
        refused = [a for a in answers if a.name in SUBMISSIONS]
        health = [a.body for a in answers if a.name == "health"]
        assert {a.name for a in answers} == UNAFFECTED | SUBMISSIONS
        assert [a for a in served if not a.ok()] == []
        assert [a for a in refused if not a.unavailable()] == []
        assert {(h["status"], h["redis"]["ok"]) for h in health} == {
            ("degraded", False)
        }
        assert during == before
        assert held_done["is_failed"] is False
        assert queued["status"] == "pending"
        assert after_image.json()["is_done"] is True
        assert after_image.json()["is_failed"] is False
