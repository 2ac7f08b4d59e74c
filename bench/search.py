"""The search's query mix over HTTP against `rostro serve` with a realistic
catalogue (100,000 projects by default, embedded database).

Prints p50/p99 per query and overall, /minisearch and POST /tags latencies,
throughput with 16 concurrent clients against the framework's own ceiling
(GET /livez) in the same run, and EXPLAIN ANALYZE of the slowest query.

    .venv/bin/python bench/search.py [--projects 100000] [--repeat 30]
"""

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.embedded import start_postgres
from bench.catalogue import seed
from bench.common import report, running_server


def query_mix(facts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    top, second, third = facts["top_tags"]
    return {
        "default": {},
        "text": {"search": "forest guardian"},
        "text+trending": {"search": "dragon", "sort": "trending"},
        "tag": {"tags": top},
        "two tags": {"tags": f"{top},{second}"},
        "tags any": {"tags": f"{second},{third}", "inclusive_or": "true"},
        "exclude+nsfw": {"exclude_tags": "horror", "nsfw": "true"},
        "nsfw only by rating": {"nsfw_only": "true", "sort": "rating"},
        "trending": {"sort": "trending"},
        "newest": {"sort": "created_at"},
        "favorites+rating": {"sort": "n_favorites", "min_ai_rating": "4"},
        "require lore": {"require_lore": "true"},
        "lorebooks": {"namespace": "lorebooks"},
        "name_like": {"name_like": "aria the"},
        "exact phrase": {"exact_search": "silver river"},
        "deep page": {"page": "50"},
        "recent activity": {"max_days_ago": "30", "sort": "last_activity_at"},
        "newcomer": {"special_mode": "newcomer"},
        "creator+trending": {"username": "creator7", "sort": "trending"},
        "language+count": {"language": "fr", "count": "true"},
    }


def timed(client: httpx.Client, method: str, path: str, **kwargs: Any) -> float:
    started = time.perf_counter()
    response = client.request(method, path, **kwargs)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed


def run_mix(
    client: httpx.Client, mix: dict[str, dict[str, Any]], repeat: int
) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name in mix}
    for _ in range(repeat):
        for name, params in mix.items():
            timings[name].append(timed(client, "GET", "/search", params=params))
    # A keyset walk: the third page reached by cursors.
    timings["cursor page 3"] = []
    for _ in range(repeat):
        cursor = None
        for _ in range(3):
            params = {"sort": "download_count"} | ({"cursor": cursor} if cursor else {})
            started = time.perf_counter()
            body = client.get("/search", params=params).json()
            elapsed = time.perf_counter() - started
            cursor = body["data"]["cursor"]
        timings["cursor page 3"].append(elapsed)
    return timings


async def throughput(
    base_url: str, path: str, params: dict[str, Any], clients: int, seconds: float
) -> float:
    done = 0
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal done
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            while time.monotonic() < deadline:
                (await client.get(path, params=params)).raise_for_status()
                done += 1

    await asyncio.gather(*(worker() for _ in range(clients)))
    return done / seconds


async def explain(url: str, params: dict[str, Any]) -> str:
    from sqlalchemy.dialects import postgresql

    from app.search.ordering import effective_sort, order, sort_key
    from app.search.schemas import SearchQuery
    from app.search.service import filtered

    query = SearchQuery(**params)
    sort = effective_sort(query, None)
    stmt = order(
        filtered(query, None).add_columns(sort_key(query, sort)), query, sort, None, "x"
    )
    stmt = stmt.offset((query.page - 1) * query.first).limit(query.first)
    sql = str(
        stmt.compile(
            dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
        )
    )
    connection = await asyncpg.connect(url)
    rows = await connection.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql)
    await connection.close()
    return "\n".join(row[0] for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    with running_server("--no-worker") as server:
        url = start_postgres(server.data_dir).url
        started = time.perf_counter()
        facts = asyncio.run(seed(url, args.projects))
        print(
            f"seeded {args.projects} projects in {time.perf_counter() - started:.0f} s"
        )
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            client.post("/api/core/import")  # opens the connection pool
            asyncio.run(_refresh(url))
            mix = query_mix(facts)
            run_mix(client, mix, 2)  # warm caches
            timings = run_mix(client, mix, args.repeat)
            words = ["ar", "mira the", "kira", "elara the sil", "nox"] * args.repeat
            mini = [
                timed(client, "POST", "/minisearch", json={"query": q}) for q in words
            ]
            tags = [
                timed(client, "POST", "/tags", json={}) for _ in range(args.repeat * 5)
            ]

        print("\nper query:")
        for name, values in timings.items():
            report(name, values)
        every = [v for values in timings.values() for v in values]
        print()
        report("ALL SEARCH QUERIES", every)
        report("POST /minisearch", mini)
        report("POST /tags", tags)

        search_rps = asyncio.run(
            throughput(
                server.base_url, "/search", {"tags": facts["top_tags"][0]}, 16, 10
            )
        )
        ceiling_rps = asyncio.run(throughput(server.base_url, "/livez", {}, 16, 10))
        ratio = search_rps / ceiling_rps
        print(f"\n16 clients: search {search_rps:.0f} req/s, ", end="")
        print(f"trivial endpoint {ceiling_rps:.0f} req/s, ratio {ratio:.2f}")

        slowest = max(timings, key=lambda name: statistics.median(timings[name]))
        params = query_mix(facts).get(slowest, {"sort": "download_count"})
        print(f"\nEXPLAIN ANALYZE of the slowest query ({slowest}: {params}):")
        print(asyncio.run(explain(url, params)))


async def _refresh(url: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from app.db import async_url, create_sessionmaker
    from app.search import stats

    engine = create_async_engine(async_url(url))
    async with create_sessionmaker(engine)() as session, session.begin():
        await stats.refresh(session)
    await engine.dispose()


if __name__ == "__main__":
    main()
