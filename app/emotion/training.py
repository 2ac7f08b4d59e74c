"""Training of the embedding classifier's linear head, and its cached weights.

The head is trained ahead of time and shipped as ``data/linear_head.npz`` (86 kB)
so that the API does not spend 6-9 s on two cores embedding the ~1300 example
lines (and their sentences) at start-up; loading it takes about 20 ms. The file
records the digest of ``examples.json`` and the embeddings of a few probe lines:
when either no longer matches (edited examples, or an injected embedder that is
not MiniLM) the head is retrained at first use instead, with the same code.
Regenerate the file after editing the examples::

    python -m app.emotion.training
"""

from dataclasses import replace
from pathlib import Path

import numpy as np
import structlog

from app.emotion.embedding import Embed, features
from app.emotion.examples import examples_digest, load_examples, targets_of
from app.emotion.head import LinearHead, fit_linear, fit_temperature, held_out_logits
from app.emotion.labels import LABELS

log = structlog.get_logger(__name__)

HEAD_PATH = Path(__file__).parent / "data" / "linear_head.npz"

# Chosen by 5-fold cross-validation on the example lines (the evaluation set is
# never used for this); bench/emotion_eval.py prints the comparison.
L2 = 1e-4

PROBES = (
    "I'm so happy to see you again!",
    "*slams the door* Get out of my house!",
    "The train leaves at noon from platform two.",
)


def train_head(embed: Embed, l2: float = L2) -> LinearHead:
    """Fit the head on the example lines; its temperature on out-of-fold logits."""
    pairs = load_examples()
    embeddings = features(embed, [text for text, _ in pairs])
    targets = targets_of(pairs)

    held_out = held_out_logits(embeddings, targets, len(LABELS), l2)
    head = fit_linear(embeddings, targets, len(LABELS), l2)
    return replace(head, temperature=fit_temperature(held_out, targets))


def load_cached_head(embed: Embed, path: Path = HEAD_PATH) -> LinearHead | None:
    """The shipped head, or ``None`` when it does not fit these examples and this
    embedder."""
    if not path.is_file():
        return None
    with np.load(path) as data:
        if str(data["examples_sha256"]) != examples_digest():
            log.warning("emotion.head_stale", reason="examples changed")
            return None
        probes = embed([str(text) for text in data["probe_texts"]])
        if probes.shape != data["probe_embeddings"].shape or not np.allclose(
            probes, data["probe_embeddings"], atol=2e-3
        ):
            log.info("emotion.head_stale", reason="different embedder")
            return None
        return LinearHead(data["weight"], data["bias"], float(data["temperature"]))


def default_head(embed: Embed) -> LinearHead:
    cached = load_cached_head(embed)
    if cached is not None:
        return cached
    log.info("emotion.head_training")
    return train_head(embed)


def save_head(embed: Embed, path: Path = HEAD_PATH) -> LinearHead:
    head = train_head(embed)
    np.savez_compressed(
        path,
        weight=head.weight,
        bias=head.bias,
        temperature=np.float32(head.temperature),
        examples_sha256=np.str_(examples_digest()),
        probe_texts=np.array(PROBES),
        probe_embeddings=embed(list(PROBES)),
        l2=np.float32(L2),
    )
    return head


def main() -> None:
    from app.emotion.embedding import embed_with, load_minilm

    head = save_head(embed_with(load_minilm()))
    log.info("emotion.head_saved", path=str(HEAD_PATH), temperature=head.temperature)


if __name__ == "__main__":
    main()
