"""The hand-written example lines the embedding classifier learns from."""

import hashlib
import json
from functools import cache
from pathlib import Path

import numpy as np

from app.emotion.head import IntArray
from app.emotion.labels import LABEL_INDEX, LABELS

EXAMPLES_PATH = Path(__file__).parent / "data" / "examples.json"


class ExamplesInvalid(ValueError):
    """The examples file names a label outside the 28 or misses one."""


@cache
def load_examples(path: Path = EXAMPLES_PATH) -> tuple[tuple[str, str], ...]:
    """(text, label) pairs in file order."""
    raw = json.loads(path.read_text(encoding="utf-8"))["examples"]
    if set(raw) != set(LABELS):
        wrong = sorted(set(raw) ^ set(LABELS))
        raise ExamplesInvalid(f"{path}: labels missing or unknown: {wrong}")
    return tuple((text, label) for label in LABELS for text in raw[label])


def targets_of(pairs: tuple[tuple[str, str], ...]) -> IntArray:
    return np.array([LABEL_INDEX[label] for _, label in pairs], dtype=np.int64)


def examples_digest(path: Path = EXAMPLES_PATH) -> str:
    """SHA-256 of the examples file, recorded with the trained weights."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
