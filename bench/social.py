"""Leaderboard and timeline latency over HTTP against `rostro serve` with a
realistic catalogue (100,000 projects by 2,000 creators by default).

The `bench` user follows 100 creators and three tags (one of them among the
most used); creators follow each other at random. Prints the time of one
refresh of the per-creator figures, then p50/p90/p99 per request.

    .venv/bin/python bench/social.py [--projects 100000] [--requests 200]
"""

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.db import async_url, create_sessionmaker
from app.embedded import start_postgres
from app.social.leaderboard import refresh_creator_stats
from app.social.schemas import LeaderSortEnum
from bench.catalogue import seed
from bench.common import report, running_server

FOLLOWED_CREATORS = 100
RANDOM_FOLLOWS = 50_000


async def seed_follows(url: str, facts: dict[str, object]) -> None:
    rng = random.Random(7)
    connection = await asyncpg.connect(url)
    creators = [
        r["id"]
        for r in await connection.fetch(
            "SELECT id FROM users WHERE username LIKE 'creator%'"
        )
    ]
    bench = await connection.fetchval("SELECT id FROM users WHERE username = 'bench'")
    pairs = {(bench, c) for c in rng.sample(creators, FOLLOWED_CREATORS)}
    while len(pairs) < RANDOM_FOLLOWS:
        a, b = rng.sample(creators, 2)
        pairs.add((a, b))
    await connection.copy_records_to_table(
        "user_follows", records=list(pairs), columns=["follower_id", "followed_id"]
    )
    top_tags = facts["top_tags"]
    assert isinstance(top_tags, list)
    tags = [top_tags[2], "ember-100", "lantern-500"]
    await connection.executemany(
        "INSERT INTO tag_follows (user_id, tag) VALUES ($1, $2)",
        [(bench, tag) for tag in tags],
    )
    await connection.execute("ANALYZE")
    await connection.close()


async def refresh(url: str) -> float:
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(async_url(url), poolclass=NullPool)
    started = time.perf_counter()
    async with create_sessionmaker(engine)() as session, session.begin():
        ranked = await refresh_creator_stats(session)
    elapsed = time.perf_counter() - started
    await engine.dispose()
    print(f"refreshed figures of {ranked} creators in {elapsed * 1000:.0f} ms")
    return elapsed


def measure(client: httpx.Client, path: str, params: dict[str, object]) -> float:
    started = time.perf_counter()
    response = client.get(path, params=params)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed


def walk_cursor(client: httpx.Client, pages: int) -> list[float]:
    """Follow the timeline's cursor page after page, as an infinite scroll does."""
    timings, cursor = [], None
    for _ in range(pages):
        params: dict[str, object] = {"count": False}
        if cursor:
            params["cursor"] = cursor
        started = time.perf_counter()
        response = client.get("/api/timeline/v1", params=params)
        timings.append(time.perf_counter() - started)
        response.raise_for_status()
        cursor = response.json()["cursor"]
        if cursor is None:
            break
    return timings


def run(client: httpx.Client, requests: int) -> dict[str, list[float]]:
    cases: dict[str, tuple[str, dict[str, object]]] = {
        f"leaderboard {order.value}": ("/api/leaderboard/v1", {"order_by": order.value})
        for order in LeaderSortEnum
        if order.value in ("avg_msgs_chat", "n_downloads", "avg_rating")
    }
    cases |= {
        "timeline page 1 (count)": ("/api/timeline/v1", {}),
        "timeline page 1 (no count)": ("/api/timeline/v1", {"count": False}),
        "timeline page 10": ("/api/timeline/v1", {"page": 10, "count": False}),
        "timeline nsfw=false min_ai_rating=3": (
            "/api/timeline/v1",
            {"nsfw": False, "min_ai_rating": 3, "count": False},
        ),
        "profile with 40 projects": ("/api/users/creator7", {"first": 40}),
        "followers of a creator": ("/api/followers/creator7", {}),
    }
    return {
        name: [measure(client, path, params) for _ in range(requests)]
        for name, (path, params) in cases.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    with running_server("--no-worker") as server:
        url = start_postgres(server.data_dir).url
        started = time.perf_counter()
        facts = asyncio.run(seed(url, args.projects))
        asyncio.run(seed_follows(url, facts))
        print(
            f"seeded {args.projects} projects in {time.perf_counter() - started:.0f} s"
        )
        asyncio.run(refresh(url))
        headers = {"CH-API-KEY": server.key}
        with httpx.Client(
            base_url=server.base_url, timeout=60, headers=headers
        ) as client:
            run(client, 5)  # warm: connections and caches
            timings = run(client, args.requests)
            scroll = walk_cursor(client, 50)
        for name, values in timings.items():
            report(name, values)
        report("timeline cursor walk (50 pages)", scroll)


if __name__ == "__main__":
    main()
