"""A mixed workload against `rostro serve`: searches, fetches, card downloads,
lore queries, emotion, tags and writes from many concurrent clients.

Prints, per client count, requests per second, errors and p50/p99 per
operation, and the memory (RSS) of the server's process tree at the start and
end of each run; `--soak` adds one long run sampled every 30 seconds.

    .venv/bin/python bench/load.py [--projects 20000] [--clients 16 64]
        [--seconds 60] [--soak 600]
"""

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.embedded import start_postgres
from bench.catalogue import seed
from bench.common import ROSTRO, Server, running_server
from bench.search import _refresh

IMPORTED = 100
LORE_TEXT = "\n\n".join(
    f"The {place} of Eldoria is {mood}. Travellers tell of {thing} near the "
    f"{place}, and the old songs say the {thing} guards it still."
    for place in ("forest", "river", "glade", "tower", "harbour", "mountain")
    for mood in ("quiet at dawn", "dangerous at night", "full of old magic")
    for thing in ("a silver wolf", "a ruined shrine", "a sleeping dragon")
)
QUESTIONS = [
    "What lives in the woods?",
    "Is the river safe after dark?",
    "Tell me about the dragon.",
    "Who guards the shrine on the mountain?",
    "What do the songs say about the harbour?",
]
EMOTION_TEXTS = [
    "I can't believe you did that, I'm so angry!",
    "Thank you, this means the world to me.",
    "I'm scared of what waits in the dark.",
    "Ha! That's the funniest thing I've heard all day.",
]
WORDS = ["dragon", "forest", "knight", "silver", "queen", "shadow", "river"]


@dataclass
class World:
    """What the clients pick from: seeded tags, imported cards, a lore owner."""

    tags: list[str]
    cards: list[dict[str, Any]]
    lore_owner: int
    client_key: str


@dataclass
class Tally:
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


Operation = Callable[
    [httpx.AsyncClient, World, random.Random], Awaitable[httpx.Response]
]


async def search(c: httpx.AsyncClient, w: World, r: random.Random) -> httpx.Response:
    params: dict[str, Any] = r.choice(
        [
            {"search": r.choice(WORDS)},
            {"tags": r.choice(w.tags)},
            {"sort": r.choice(["trending", "created_at", "n_favorites", "rating"])},
            {"tags": r.choice(w.tags), "nsfw": "true", "page": r.randint(1, 5)},
            {"name_like": r.choice(WORDS)},
        ]
    )
    return await c.get("/search", params=params)


async def fetch(c: httpx.AsyncClient, w: World, r: random.Random) -> httpx.Response:
    card = r.choice(w.cards)
    return await c.get(f"/api/characters/{card['fullPath']}", params={"full": "true"})


async def download(c: httpx.AsyncClient, w: World, r: random.Random) -> httpx.Response:
    return await c.get(r.choice(w.cards)["max_res_url"])


async def lore(c: httpx.AsyncClient, w: World, r: random.Random) -> httpx.Response:
    body = {"query": r.choice(QUESTIONS), "owner_ids": [w.lore_owner], "first": 5}
    return await c.post("/lore", json=body | {"mode": r.choice(["hybrid", "semantic"])})


async def emotion(c: httpx.AsyncClient, w: World, r: random.Random) -> httpx.Response:
    return await c.post("/api/infer/emotion", json={"text": r.choice(EMOTION_TEXTS)})


async def tags(c: httpx.AsyncClient, w: World, r: random.Random) -> httpx.Response:
    if r.random() < 0.5:
        return await c.post("/minisearch", json={"query": r.choice(WORDS)[:3]})
    return await c.post("/tags", json={"first": 50})


async def write(c: httpx.AsyncClient, w: World, r: random.Random) -> httpx.Response:
    choice = r.random()
    if choice < 0.4:
        name = f"{r.choice(WORDS).title()} {r.randint(0, 10**9)}"
        return await c.post(
            "/api/core/characters",
            json={"name": name, "description": f"A {r.choice(WORDS)} of the north."},
        )
    card = r.choice(w.cards)
    if choice < 0.7:
        return await c.post(f"/api/favorites/{card['id']}")
    if choice < 0.9:
        rating = {"rating": r.randint(1, 5)}
        return await c.post(f"/api/project/{card['id']}/rate", json=rating)
    return await c.post("/config/load/last", json={"value": r.random()})


MIX: list[tuple[Operation, int]] = [
    (search, 30),
    (fetch, 20),
    (download, 10),
    (lore, 10),
    (emotion, 10),
    (tags, 8),
    (write, 12),
]


async def client_loop(
    server: Server, world: World, tally: Tally, seed_value: int, deadline: float
) -> None:
    rng = random.Random(seed_value)
    operations = [op for op, _ in MIX]
    weights = [weight for _, weight in MIX]
    headers = {"CH-API-KEY": world.client_key}
    async with httpx.AsyncClient(
        base_url=server.base_url, headers=headers, timeout=60
    ) as client:
        while time.monotonic() < deadline:
            operation = rng.choices(operations, weights)[0]
            name = operation.__name__
            started = time.perf_counter()
            try:
                response = await operation(client, world, rng)
            except httpx.HTTPError as error:
                tally.errors[name].append(f"{type(error).__name__}: {error}")
                continue
            tally.seconds[name].append(time.perf_counter() - started)
            if response.status_code >= 400:
                tally.errors[name].append(
                    f"{response.status_code} {response.text[:200]}"
                )


def tree_rss_mb(pid: int) -> float:
    """Resident memory of the server and its children (API, worker; not the
    embedded PostgreSQL and Redis, which have caches of their own)."""
    root = psutil.Process(pid)
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            if process.name().startswith(("postgres", "redis")):
                continue
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20


async def run(server: Server, world: World, clients: int, seconds: float) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds
    await asyncio.gather(
        *(client_loop(server, world, tally, n, deadline) for n in range(clients))
    )
    return tally


def print_tally(tally: Tally, seconds: float) -> None:
    total = sum(len(v) for v in tally.seconds.values())
    errors = sum(len(v) for v in tally.errors.values())
    print(f"  {total / seconds:.0f} req/s, {total} requests, {errors} errors")
    for name in [op.__name__ for op, _ in MIX]:
        ms = sorted(s * 1000 for s in tally.seconds[name])
        if not ms:
            continue
        p99 = ms[max(int(len(ms) * 0.99) - 1, 0)]
        print(
            f"  {name:10s} n={len(ms):6d}  p50 {statistics.median(ms):7.1f} ms"
            f"  p99 {p99:7.1f} ms  errors {len(tally.errors[name])}"
        )
    for name, messages in tally.errors.items():
        for message in sorted(set(messages))[:3]:
            print(f"  ! {name}: {message}")


def prepare(server: Server, projects: int) -> World:
    from bench.import_cards import v2_card

    url = start_postgres(server.data_dir).url
    started = time.perf_counter()
    facts = asyncio.run(seed(url, projects))
    asyncio.run(_refresh(url))
    print(f"seeded {projects} projects in {time.perf_counter() - started:.0f} s")
    headers = {"CH-API-KEY": server.key}
    rng = random.Random(5)
    cards = []
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=120) as c:
        for number in range(IMPORTED):
            card = json.dumps(v2_card(rng, number)).encode()
            imported = c.post("/api/core/import", files={"file": ("c.json", card)})
            imported.raise_for_status()
            node = c.get(f"/api/characters/{imported.json()['id']}").json()["node"]
            cards.append(node)
        owner = c.post("/api/core/characters", json={"name": "Eldoria"}).json()["id"]
        item = c.post(
            "/lore/item",
            data={"owner_id": str(owner), "content": LORE_TEXT, "name": "Eldoria"},
        )
        item.raise_for_status()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            items = c.get("/lore/items", params={"owner_ids": owner}).json()["items"]
            if items and all(i["status"] == "ready" for i in items):
                break
            time.sleep(1)
        else:
            raise RuntimeError("the lore item was not embedded in time")
    # The clients are another user: they rate and favorite the cards.
    created = subprocess.run(
        [*ROSTRO, "users", "create", "loadclient"],
        env=server.env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    key = created.stdout.strip().splitlines()[-1]
    return World(list(facts["top_tags"]), cards, owner, key)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=20_000)
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--soak", type=float, default=0, help="seconds; 0: none")
    parser.add_argument("--api-workers", type=int, default=1)
    args = parser.parse_args()

    with running_server("--api-workers", str(args.api_workers)) as server:
        world = prepare(server, args.projects)
        asyncio.run(run(server, world, 8, 10))  # warm: pools, models, caches
        for clients in args.clients:
            before = tree_rss_mb(server.pid)
            tally = asyncio.run(run(server, world, clients, args.seconds))
            after = tree_rss_mb(server.pid)
            print(f"\n{clients} clients for {args.seconds:.0f} s:")
            print_tally(tally, args.seconds)
            print(f"  server RSS {before:.0f} MB at start, {after:.0f} MB at end")
        if args.soak:
            soak(server, world, args.soak)


def soak(server: Server, world: World, seconds: float) -> None:
    """16 clients for `seconds`, the server's memory sampled every 30 s."""
    print(f"\nsoak: 16 clients for {seconds:.0f} s; server RSS (MB) every 30 s:")
    samples = [tree_rss_mb(server.pid)]

    async def sample() -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await asyncio.sleep(30)
            samples.append(tree_rss_mb(server.pid))

    async def both() -> Tally:
        tally, _ = await asyncio.gather(run(server, world, 16, seconds), sample())
        return tally

    tally = asyncio.run(both())
    print("  " + " ".join(f"{mb:.0f}" for mb in samples))
    print_tally(tally, seconds)


if __name__ == "__main__":
    main()
