"""Indexing throughput through the worker: a large text posted to /lore/item
is embedded by the Celery worker of `rostro serve`; passages per second from
the answer until the item is ready.

    .venv/bin/python -m bench.lore_index
"""

import os
import time

import httpx

from bench.common import running_server
from bench.lore_search import sentences

N_PARAGRAPHS = int(os.environ.get("LORE_BENCH_PARAGRAPHS", "150"))


def main() -> None:
    text = "\n\n".join(" ".join(sentences(8, seed)) for seed in range(N_PARAGRAPHS))
    with running_server() as server:
        headers = {"CH-API-KEY": server.key}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=300) as c:
            owner = c.post("/api/core/lorebooks", json={"name": "Bench"}).json()["id"]
            started = time.perf_counter()
            added = c.post(
                "/lore/item",
                data={"owner_id": str(owner), "content": text},
            ).json()
            answered = time.perf_counter() - started
            status = added["status"]
            while status == "pending":
                time.sleep(0.2)
                items = c.get("/lore/items", params={"owner_ids": owner}).json()
                status = items["items"][0]["status"]
            elapsed = time.perf_counter() - started
    n = added["n_passages"]
    print(f"{n} passages: answered in {answered:.2f} s, {status} after {elapsed:.1f} s")
    print(f"indexing throughput with the worker: {n / elapsed:.1f} passages/s")


if __name__ == "__main__":
    main()
