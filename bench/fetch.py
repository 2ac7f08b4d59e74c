"""Fetching a character with `full=true` and downloading its card PNG, over HTTP,
on a warm `rostro serve` with a large catalogue (100,000 projects by default).

    .venv/bin/python bench/fetch.py [--projects 100000] [--requests 1000]
"""

import argparse
import asyncio
import base64
import io
import json
import random
import sys
import time
from pathlib import Path

import asyncpg
import httpx
from PIL import Image
from PIL.PngImagePlugin import PngInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.embedded import start_postgres
from bench.common import report, running_server
from bench.import_cards import v2_card


def template_png() -> bytes:
    card = v2_card(random.Random(1), 0)
    card["data"]["name"] = "Template"
    image = Image.new("RGB", (400, 600), (90, 60, 120))
    info = PngInfo()
    info.add_text("chara", base64.b64encode(json.dumps(card).encode()).decode())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


async def clone_projects(url: str, count: int) -> None:
    """Copies of the template project with their own names and slugs."""
    connection = await asyncpg.connect(url)
    columns = await connection.fetch(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'projects' AND column_name NOT IN "
        "('id', 'uuid', 'slug', 'name', 'version_sha', 'card_key')"
    )
    names = ", ".join(row["column_name"] for row in columns)
    await connection.execute(
        f"""
        INSERT INTO projects (uuid, slug, name, version_sha, {names})
        SELECT gen_random_uuid(), 'clone-' || n, 'Clone ' || n,
               md5(n::text) || substr(md5(n::text), 1, 8), {names}
        FROM projects, generate_series(1, $1) AS n
        WHERE projects.slug = 'template'
        """,
        count,
    )
    await connection.execute("ANALYZE projects")
    await connection.close()


def measure(client: httpx.Client, paths: list[str]) -> list[float]:
    timings = []
    for path in paths:
        started = time.perf_counter()
        response = client.get(path)
        timings.append(time.perf_counter() - started)
        response.raise_for_status()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()

    with running_server("--no-worker") as server:
        headers = {"CH-API-KEY": server.key}
        imported = httpx.post(
            f"{server.base_url}/api/core/import",
            files={"file": ("template.png", template_png())},
            headers=headers,
        )
        imported.raise_for_status()
        url = start_postgres(server.data_dir).url
        started = time.perf_counter()
        asyncio.run(clone_projects(url, args.projects - 1))
        print(
            f"seeded {args.projects} projects in {time.perf_counter() - started:.1f} s"
        )

        rng = random.Random(3)
        slugs = [f"clone-{rng.randint(1, args.projects - 1)}" for _ in range(200)]
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            # Warm: connections, caches and each sampled card's PNG.
            measure(client, [f"/api/characters/bench/{s}/card.png" for s in slugs])
            measure(client, [f"/api/characters/bench/{s}?full=true" for s in slugs])
            picks = [rng.choice(slugs) for _ in range(args.requests)]
            full = measure(
                client, [f"/api/characters/bench/{s}?full=true" for s in picks]
            )
            png = measure(
                client, [f"/api/characters/bench/{s}/card.png" for s in picks]
            )
        report("GET character ?full=true", full)
        report("GET card.png (counts a download)", png)


if __name__ == "__main__":
    main()
