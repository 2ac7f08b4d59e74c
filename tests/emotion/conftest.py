"""Fixtures of the emotion tests: the real MiniLM (shipped in a package, loaded
once) and a fast stand-in embedder for tests that do not judge the model."""

import hashlib

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from app.emotion.classifier import EmbeddingEmotionClassifier
from app.emotion.embedding import load_minilm
from app.emotion.head import FloatArray


@pytest.fixture(scope="session")
def minilm() -> SentenceTransformer:
    return load_minilm()


@pytest.fixture(scope="session")
def classifier(minilm: SentenceTransformer) -> EmbeddingEmotionClassifier:
    return EmbeddingEmotionClassifier(minilm)


def hashed_embed(texts: list[str]) -> FloatArray:
    """A deterministic bag-of-character-trigrams embedder of 64 dimensions."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for row, text in enumerate(texts):
        padded = f"  {text.lower()}  "
        for i in range(len(padded) - 2):
            digest = hashlib.blake2b(padded[i : i + 3].encode(), digest_size=2)
            out[row, int.from_bytes(digest.digest()) % 64] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    unit: FloatArray = (out / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit
