"""Lore search on 100,000 passages: HTTP latency, HNSW recall, and ChromaDB.

Embedding 100,000 real passages takes most of an hour on a two-core machine,
so the corpus is built from the real embeddings of 2,000 sentences: each
vector is a normalised mix of two of them plus a little noise, which keeps
the clustered shape of real text embeddings (uniform random vectors would be
the worst case for HNSW and say little). Queries are real questions embedded
by the server's own query path. Exact search is a NumPy scan of the same
vectors.

ChromaDB runs side by side when ``CHROMA_PYTHON`` names a Python that has
``chromadb`` (it is not a dependency of the hub): it gets the same vectors
and queries, and no embedding model of its own.

    .venv/bin/python -m bench.lore_search
"""

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import numpy as np
import numpy.typing as npt
from pgvector.asyncpg import register_vector

from app.config import Settings
from app.embedded import start_postgres
from app.lore.embedder import load_embedder
from bench.common import report, running_server

Matrix = npt.NDArray[np.float32]
N_PASSAGES = int(os.environ.get("LORE_BENCH_PASSAGES", "100000"))
N_BASE = 2000
N_QUERIES = 200
K = 10
EF_SEARCH = (40, 100, 200)
SUBJECTS = "wolf knight river witch tower dragon merchant forest ship queen".split()
VERBS = "guards crosses curses climbs burns sells hides sails rules haunts".split()
PLACES = "the valley|the old mill|the salt marsh|the capital|the frozen pass".split("|")
TIMES = "at dawn|every winter|under the red moon|for a hundred years".split("|")


def sentences(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        f"The {rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(PLACES)} "
        f"{rng.choice(TIMES)}, and the {rng.choice(SUBJECTS)} remembers it."
        for _ in range(n)
    ]


def questions(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        f"Who {rng.choice(VERBS)} {rng.choice(PLACES)} {rng.choice(TIMES)}?"
        for _ in range(n)
    ]


def corpus(base: Matrix, n: int) -> tuple[Matrix, npt.NDArray[np.int64]]:
    rng = np.random.default_rng(7)
    first = rng.integers(0, len(base), n)
    second = rng.integers(0, len(base), n)
    weight = rng.uniform(0.5, 1.0, (n, 1)).astype(np.float32)
    mixed = weight * base[first] + (1 - weight) * base[second]
    mixed += rng.normal(0, 0.02, mixed.shape).astype(np.float32)
    mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
    return mixed.astype(np.float32), first


async def load(url: str, vectors: Matrix, texts: list[str], source: Any) -> int:
    """One character and one text item holding every passage, by COPY; the
    HNSW index is rebuilt afterwards and timed."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    await register_vector(connection)
    owner = await connection.fetchval("SELECT id FROM projects LIMIT 1")
    item = await connection.fetchval(
        "INSERT INTO lore_items (uuid, batch_uuid, owner_id, source, kind, name,"
        " content, keys, secondary_keys, folded_keys, selective, selective_logic,"
        " constant, enabled, use_regex, insertion_order, status, embedded_model,"
        " n_passages) VALUES ($1, $1, $2, 'upload', 'text', 'bench', '', '{}',"
        " '{}', '{}', false, 'and_any', false, true, false, 100, 'ready',"
        " 'sentence-transformers/all-MiniLM-L6-v2', $3) RETURNING id",
        uuid.uuid4(),
        owner,
        len(vectors),
    )
    await connection.execute("DROP INDEX ix_lore_passages_embedding_hnsw")
    records = [
        (uuid.uuid4(), item, owner, i, texts[source[i]], "x", vectors[i],
         "sentence-transformers/all-MiniLM-L6-v2")
        for i in range(len(vectors))
    ]  # fmt: skip
    started = time.perf_counter()
    await connection.copy_records_to_table(
        "lore_passages",
        records=records,
        columns=["uuid", "item_id", "owner_id", "ordinal", "content", "text_hash",
                 "embedding", "model"],
    )  # fmt: skip
    copied = time.perf_counter() - started
    started = time.perf_counter()
    await connection.execute("SET maintenance_work_mem = '512MB'")
    await connection.execute(
        "CREATE INDEX ix_lore_passages_embedding_hnsw ON lore_passages USING hnsw"
        " (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
    )
    built = time.perf_counter() - started
    await connection.execute("ANALYZE lore_passages")
    await connection.close()
    print(
        f"loaded {len(vectors)} passages: COPY {copied:.1f} s, HNSW build {built:.1f} s"
    )
    return int(owner)


async def hnsw_ids(
    url: str, owner: int, queries: Matrix, ef: int
) -> tuple[list[list[int]], list[float]]:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    await register_vector(connection)
    await connection.execute(f"SET hnsw.ef_search = {ef}")
    await connection.execute("SET hnsw.iterative_scan = relaxed_order")
    out, seconds = [], []
    for vector in queries:
        started = time.perf_counter()
        rows = await connection.fetch(
            "SELECT p.ordinal FROM lore_passages p"
            " JOIN lore_items i ON i.id = p.item_id"
            " WHERE p.owner_id = $1 AND i.status = 'ready' AND i.enabled"
            " ORDER BY p.embedding <=> $2 LIMIT $3",
            owner,
            vector,
            K,
        )
        seconds.append(time.perf_counter() - started)
        out.append([row["ordinal"] for row in rows])
    await connection.close()
    return out, seconds


def recall(found: list[list[int]], exact: npt.NDArray[np.int64]) -> float:
    hits = [
        len(set(f) & set(e.tolist())) / K for f, e in zip(found, exact, strict=True)
    ]
    return statistics.mean(hits)


def http_latency(base_url: str, key: str, owner: int, texts: list[str]) -> None:
    headers = {"CH-API-KEY": key}
    # The first request loads the model: a long timeout, and it is not counted.
    with httpx.Client(base_url=base_url, headers=headers, timeout=300) as client:
        for mode in ("semantic", "hybrid"):
            seconds = []
            for text in texts:
                started = time.perf_counter()
                response = client.post(
                    "/lore",
                    json={
                        "query": text,
                        "owner_ids": [owner],
                        "first": K,
                        "mode": mode,
                    },
                )
                seconds.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
            report(f"POST /lore {mode} (query embedded)", seconds[5:])


def chroma(vectors: Matrix, queries: Matrix, exact: npt.NDArray[np.int64]) -> None:
    python = os.environ.get("CHROMA_PYTHON")
    if not python:
        print("ChromaDB: skipped (set CHROMA_PYTHON to a Python with chromadb)")
        return
    folder = Path(tempfile.mkdtemp(prefix="lore-chroma-"))
    np.save(folder / "vectors.npy", vectors)
    np.save(folder / "queries.npy", queries)
    script = Path(__file__).with_name("lore_chroma.py")
    result = subprocess.run(
        [python, str(script), str(folder)], capture_output=True, text=True, check=True
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    found = figures.pop("ids")
    print(f"ChromaDB {figures['version']}: add {figures['add_seconds']:.1f} s")
    report("ChromaDB query (in process, no HTTP)", figures["seconds"])
    print(f"ChromaDB recall@{K}: {recall(found, exact):.4f}")


def main() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    embedder = load_embedder(settings)
    base_texts = sentences(N_BASE, 1)
    base = embedder.embed_documents(base_texts)
    vectors, source = corpus(base, N_PASSAGES)
    query_texts = questions(N_QUERIES, 2)
    queries = np.stack([embedder.embed_query(q) for q in query_texts])
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :K]

    with running_server("--no-worker") as server:
        url = start_postgres(server.data_dir).url
        project = httpx.post(
            f"{server.base_url}/api/core/characters",
            json={"name": "Bench"},
            headers={"CH-API-KEY": server.key},
        ).json()
        owner = asyncio.run(load(url, vectors, base_texts, source))
        assert owner == project["id"]
        for ef in EF_SEARCH:
            found, seconds = asyncio.run(hnsw_ids(url, owner, queries, ef))
            report(f"SQL HNSW ef_search={ef}", seconds)
            print(f"  recall@{K} vs exact: {recall(found, exact):.4f}")
        http_latency(server.base_url, server.key, owner, query_texts)
    chroma(vectors, queries, exact)


if __name__ == "__main__":
    sys.exit(main())
