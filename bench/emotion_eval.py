"""Accuracy, latency and throughput of the emotion classifiers.

    .venv/bin/python bench/emotion_eval.py [--model PATH] [--skip-cv]

Top-1 accuracy on bench/data/emotion_eval.jsonl, counted as right when the top
label is one of the item's acceptable labels (fine) or falls in its coarse
feeling (coarse). The evaluation set is only read here, never trained on: the
choices (head, l2, k) are made by cross-validation on the example lines, which
is printed first.
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.emotion import head as heads
from app.emotion.batcher import EmotionBatcher
from app.emotion.classifier import (
    EmbeddingEmotionClassifier,
    EmotionClassifier,
    TransformersEmotionClassifier,
)
from app.emotion.embedding import (
    Embed,
    counter_for,
    embed_with,
    features,
    load_minilm,
)
from app.emotion.examples import load_examples, targets_of
from app.emotion.labels import COARSE, LABELS
from app.emotion.text import TAIL_BUDGET, TokenCounter, chunks, tail_window
from app.emotion.training import L2, train_head

EVAL_PATH = Path(__file__).parent / "data" / "emotion_eval.jsonl"
N = len(LABELS)
DIM = 384  # MiniLM; the first DIM feature columns are the whole-text embedding


@dataclass(frozen=True)
class Item:
    text: str
    labels: list[str]
    coarse: str
    tokens: int


def load_eval(count: TokenCounter) -> list[Item]:
    rows = [json.loads(line) for line in EVAL_PATH.read_text().splitlines() if line]
    return [Item(r["text"], r["labels"], r["coarse"], count(r["text"])) for r in rows]


def line(name: str, items: list[Item], top: list[str]) -> None:
    pairs = list(zip(items, top, strict=True))
    fine = np.mean([label in item.labels for item, label in pairs])
    coarse = np.mean([COARSE[label] == item.coarse for item, label in pairs])
    print(f"  {name:50s} n={len(items):3d}  fine {fine:6.1%}  coarse {coarse:6.1%}")


def top_labels(logits: heads.FloatArray) -> list[str]:
    return [LABELS[i] for i in logits.argmax(axis=1)]


def cross_validation(x: heads.FloatArray, y: heads.IntArray) -> None:
    print("Cross-validation on the example lines (5-fold; leave-one-out for kNN):")
    whole = x[:, :DIM]
    sims = whole @ whole.T
    np.fill_diagonal(sims, -np.inf)
    for k in (3, 8, 12, 20):
        held = heads.knn_similarity(sims, y, N, k)
        print(f"  kNN k={k:<2d}  {np.mean(held.argmax(1) == y):6.1%}")
    for l2 in (3e-5, 1e-4, 3e-4, 1e-3):
        for name, cols in (("whole", whole), ("whole+sentences", x)):
            held = heads.held_out_logits(cols, y, N, l2)
            print(
                f"  linear {name:15s} l2={l2:<7g} {np.mean(held.argmax(1) == y):6.1%}"
            )


def compare_heads(
    x: heads.FloatArray,
    y: heads.IntArray,
    eval_x: heads.FloatArray,
    items: list[Item],
) -> None:
    print(f"Heads on the evaluation set (last sentences within {TAIL_BUDGET}):")
    whole, eval_whole = x[:, :DIM], eval_x[:, :DIM]
    variants: list[tuple[str, heads.Head, heads.FloatArray]] = [
        (
            "prototype (cosine, fitted temperature)",
            heads.fit_prototype(whole, y, N),
            eval_whole,
        ),
        (
            "kNN k=12 (mean of top-12 cosine per label)",
            heads.fit_knn(whole, y, N, 12),
            eval_whole,
        ),
        (
            f"logistic regression, whole text, l2={L2:g}",
            heads.fit_linear(whole, y, N, L2),
            eval_whole,
        ),
        (
            f"logistic regression, whole+sentences, l2={L2:g}",
            heads.fit_linear(x, y, N, L2),
            eval_x,
        ),
    ]
    for name, head, inputs in variants:
        line(name, items, top_labels(head.logits(inputs)))


def long_text(
    head: heads.Head, embed: Embed, items: list[Item], count: TokenCounter
) -> None:
    def window(budget: int) -> Callable[[str], list[str]]:
        return lambda text: [tail_window(text, count, budget)]

    def chunked(budget: int) -> Callable[[str], list[str]]:
        return lambda text: chunks(text, count, budget)

    strategies: dict[str, Callable[[str], list[str]]] = {
        "whole text (model keeps the first 256)": lambda text: [text],
        "last sentences within 254": window(254),
        "last sentences within 128": window(128),
        "last sentences within 64 (default)": window(64),
        "mean over chunks of <=254": chunked(254),
        "mean over chunks of <=128": chunked(128),
    }
    subsets = {
        "all": items,
        ">64": [i for i in items if i.tokens > 64],
        ">254": [i for i in items if i.tokens > 254],
    }
    print("Long text (default head), on all items and on those over 64/254 pieces:")
    for name, split in strategies.items():
        for subset, chosen in subsets.items():
            top = [pooled_top(head, embed, split(item.text)) for item in chosen]
            line(f"{name} [{subset}]", chosen, top)


def pooled_top(head: heads.Head, embed: Embed, parts: list[str]) -> str:
    probabilities = heads.softmax(head.logits(features(embed, parts))).mean(axis=0)
    return LABELS[int(probabilities.argmax())]


def accuracy_of(name: str, classifier: EmotionClassifier, items: list[Item]) -> None:
    results = classifier.classify([item.text for item in items])
    line(name, items, [scores[0][0] for scores in results])


def latency(classifier: EmotionClassifier, items: list[Item]) -> None:
    short = "*smiles and hands you the letter* I'm so glad you came back!"
    classifier.classify([short])
    runs = []
    for _ in range(50):
        start = time.perf_counter()
        classifier.classify([short])
        runs.append(time.perf_counter() - start)
    runs.sort()
    print(
        f"  one short text: median {statistics.median(runs) * 1e3:.1f} ms, "
        f"p95 {runs[int(len(runs) * 0.95)] * 1e3:.1f} ms"
    )
    for name, texts in (
        ("short texts (<=64 pieces)", [i.text for i in items if i.tokens <= 64]),
        ("evaluation texts", [i.text for i in items]),
    ):
        texts = (texts * (256 // len(texts) + 1))[:256]
        for size in (1, 32):
            start = time.perf_counter()
            for i in range(0, len(texts), size):
                classifier.classify(texts[i : i + size])
            rate = len(texts) / (time.perf_counter() - start)
            print(f"  {name}, batches of {size:2d}: {rate:6.0f} texts/s")


def through_batcher(classifier: EmotionClassifier, items: list[Item]) -> None:
    texts = [i.text for i in items if i.tokens <= 64]
    texts = (texts * (256 // len(texts) + 1))[:256]

    async def run() -> float:
        batcher = EmotionBatcher(classifier)
        start = time.perf_counter()
        await asyncio.gather(*(batcher.classify(text) for text in texts))
        elapsed = time.perf_counter() - start
        await batcher.close()
        return elapsed

    elapsed = asyncio.run(run())
    print(f"  256 concurrent short texts through EmotionBatcher: {256 / elapsed:.0f}/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, help="also a local transformers model")
    parser.add_argument("--skip-cv", action="store_true")
    args = parser.parse_args()

    start = time.perf_counter()
    model = load_minilm()
    print(f"MiniLM loaded in {time.perf_counter() - start:.1f} s")
    embed = embed_with(model)
    count, budget = counter_for(model)
    items = load_eval(count)
    long = sum(item.tokens > budget for item in items)
    print(f"Evaluation set: {len(items)} items, {long} over {budget} word pieces")

    pairs = load_examples()
    start = time.perf_counter()
    x, y = features(embed, [text for text, _ in pairs]), targets_of(pairs)
    print(f"{len(pairs)} example lines embedded in {time.perf_counter() - start:.1f} s")
    if not args.skip_cv:
        cross_validation(x, y)
    windows = [tail_window(item.text, count, TAIL_BUDGET) for item in items]
    compare_heads(x, y, features(embed, windows), items)

    start = time.perf_counter()
    head = train_head(embed)
    print(f"Default head trained in {time.perf_counter() - start:.1f} s (first use)")
    long_text(head, embed, items, count)

    print("Default classifier (shipped head):")
    start = time.perf_counter()
    default = EmbeddingEmotionClassifier(model)
    print(f"  built in {(time.perf_counter() - start) * 1e3:.0f} ms")
    accuracy_of("EmbeddingEmotionClassifier(model)", default, items)
    latency(default, items)
    through_batcher(default, items)
    if args.model is not None:
        print(f"Transformers model in {args.model}:")
        other = TransformersEmotionClassifier(args.model)
        accuracy_of("TransformersEmotionClassifier", other, items)
        latency(other, items)


if __name__ == "__main__":
    main()
