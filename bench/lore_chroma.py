"""The ChromaDB half of bench/lore_search.py, run by a Python that has chromadb.

Reads vectors.npy and queries.npy from the folder given, prints one JSON line:
the version, the time to add, each query's seconds and the ids found. No
embedding function is used: the vectors come from the hub's model.
"""

import json
import sys
import tempfile
import time
from pathlib import Path

import chromadb
import numpy as np

K = 10
BATCH = 5000


def main(folder: Path) -> None:
    vectors = np.load(folder / "vectors.npy")
    queries = np.load(folder / "queries.npy")
    client = chromadb.PersistentClient(path=tempfile.mkdtemp(prefix="chroma-"))
    collection = client.create_collection(
        "lore", embedding_function=None, metadata={"hnsw:space": "cosine"}
    )
    started = time.perf_counter()
    for start in range(0, len(vectors), BATCH):
        chunk = vectors[start : start + BATCH]
        ids = [str(i) for i in range(start, start + len(chunk))]
        collection.add(ids=ids, embeddings=chunk.tolist())
    added = time.perf_counter() - started
    seconds, found = [], []
    for query in queries:
        started = time.perf_counter()
        result = collection.query(query_embeddings=[query.tolist()], n_results=K)
        seconds.append(time.perf_counter() - started)
        found.append([int(i) for i in result["ids"][0]])
    out = {
        "version": chromadb.__version__,
        "add_seconds": added,
        "seconds": seconds,
        "ids": found,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
