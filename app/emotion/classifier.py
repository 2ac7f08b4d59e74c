"""Classifiers that score a character's message against the 28 GoEmotions labels.

Both implementations are synchronous and CPU-bound; the API calls them from a
worker thread through :class:`app.emotion.batcher.EmotionBatcher`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from app.emotion.embedding import (
    Embed,
    counter_for,
    embed_with,
    fallback_counter,
    features,
)
from app.emotion.head import FloatArray, Head, softmax
from app.emotion.labels import LABEL_INDEX, LABELS
from app.emotion.text import TAIL_BUDGET, TokenCounter, tail_window

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Scores = list[tuple[str, float]]
"""All 28 labels with their scores in 0..1, highest first."""


@runtime_checkable
class EmotionClassifier(Protocol):
    def classify(self, texts: list[str]) -> list[Scores]:
        """Score each text against all 28 labels, in the order given."""
        ...


class EmotionModelInvalid(ValueError):
    """A configured emotion model cannot be used."""


class UnknownEmotionLabels(EmotionModelInvalid):
    """The model's labels are not all GoEmotions labels."""


def rank(probabilities: FloatArray) -> list[Scores]:
    """Rows of 28 probabilities (in LABELS order) as ranked label lists."""
    ranked: list[Scores] = []
    for row in np.clip(np.nan_to_num(probabilities), 0.0, 1.0):
        # Stable sort: ties keep the GoEmotions order, so output is deterministic.
        order = np.argsort(-row, kind="stable")
        ranked.append([(LABELS[i], float(row[i])) for i in order])
    return ranked


class EmbeddingEmotionClassifier:
    """A small head over all-MiniLM-L6-v2 sentence embeddings.

    ``embedder`` is a loaded SentenceTransformer (shared with other features) or
    any :data:`~app.emotion.embedding.Embed` callable. ``head`` defaults to the
    logistic regression shipped in ``data/linear_head.npz`` (retrained on the
    example lines when it does not match the embedder). Long messages are cut to
    their last sentences within ``budget`` word pieces; see
    :mod:`app.emotion.text` for why.
    """

    def __init__(
        self,
        embedder: SentenceTransformer | Embed,
        *,
        head: Head | None = None,
        budget: int = TAIL_BUDGET,
    ) -> None:
        self._embed, self._count, limit = _adapt(embedder)
        self._budget = min(budget, limit)
        if head is None:
            from app.emotion.training import default_head

            head = default_head(self._embed)
        self._head = head

    def classify(self, texts: list[str]) -> list[Scores]:
        if not texts:
            return []
        windows = [
            tail_window(text.strip(), self._count, self._budget) for text in texts
        ]
        return rank(softmax(self._head.logits(features(self._embed, windows))))


def _adapt(embedder: SentenceTransformer | Embed) -> tuple[Embed, TokenCounter, int]:
    from sentence_transformers import SentenceTransformer

    if isinstance(embedder, SentenceTransformer):
        count, limit = counter_for(embedder)
        return embed_with(embedder), count, limit
    count, limit = fallback_counter()
    return embedder, count, limit


class TransformersEmotionClassifier:
    """A local transformers text-classification model, e.g. a downloaded
    ``SamLowe/roberta-base-go_emotions``.

    Its labels (``config.id2label``) must all be GoEmotions names; labels the
    model lacks score 0. Multi-label models (``problem_type`` of
    ``multi_label_classification``) give sigmoid scores, others a softmax. Long
    messages are cut as for the embedding classifier: GoEmotions models were
    trained on short comments too.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        device: str = "cpu",
        batch_size: int = 16,
        budget: int = TAIL_BUDGET,
    ) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        path = Path(path)
        if not (path / "config.json").is_file():
            raise EmotionModelInvalid(f"no model config.json in {path}")
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            model = AutoModelForSequenceClassification.from_pretrained(
                path, local_files_only=True
            )
        except (OSError, ValueError) as error:
            raise EmotionModelInvalid(
                f"cannot load the emotion model in {path}: {error}"
            ) from error
        self._model = model.to(device).eval()
        self._device = device
        self._batch_size = batch_size
        self._columns = label_columns(model.config.id2label, path)
        self._multi_label = model.config.problem_type == "multi_label_classification"
        self._limit = _token_limit(self._tokenizer, model.config)
        specials = self._tokenizer.num_special_tokens_to_add()
        self._budget = min(budget, self._limit - specials)
        # A safety net behind the sentence window: if a count is off, lose the
        # start of the message rather than its end.
        self._tokenizer.truncation_side = "left"

    def classify(self, texts: list[str]) -> list[Scores]:
        if not texts:
            return []
        windows = [
            tail_window(text.strip(), self._count, self._budget) for text in texts
        ]
        rows = [
            self._probabilities(windows[start : start + self._batch_size])
            for start in range(0, len(windows), self._batch_size)
        ]
        return rank(np.concatenate(rows))

    def _count(self, text: str) -> int:
        encoded = self._tokenizer(text, add_special_tokens=False, verbose=False)
        return len(encoded["input_ids"])

    def _probabilities(self, texts: list[str]) -> FloatArray:
        import torch

        batch = self._tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self._limit,
            return_tensors="pt",
        ).to(self._device)
        with torch.inference_mode():
            logits = self._model(**batch).logits.float()
        scores = torch.sigmoid(logits) if self._multi_label else logits.softmax(-1)
        out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
        out[:, self._columns] = scores.cpu().numpy()
        return out


def label_columns(id2label: dict[int, str], path: Path) -> list[int]:
    """For each model output, the index of its label in :data:`LABELS`.

    Names are matched without regard to case or surrounding spaces.
    """
    names = [str(id2label[i]) for i in range(len(id2label))]
    keys = [name.strip().lower() for name in names]
    unknown = [
        name for name, key in zip(names, keys, strict=True) if key not in LABEL_INDEX
    ]
    if unknown:
        raise UnknownEmotionLabels(
            f"the model in {path} has labels that are not GoEmotions labels: "
            f"{', '.join(unknown)}; expected names among: {', '.join(LABELS)}"
        )
    if len(set(keys)) != len(keys):
        raise EmotionModelInvalid(f"the model in {path} repeats a label")
    return [LABEL_INDEX[key] for key in keys]


def _token_limit(tokenizer: object, config: object) -> int:
    # Tokenizers saved without a limit report a huge model_max_length; the
    # position embeddings are the hard bound (RoBERTa keeps 2 of them spare).
    declared = int(getattr(tokenizer, "model_max_length", 512))
    positions = int(getattr(config, "max_position_embeddings", 512))
    if getattr(config, "model_type", "") in {"roberta", "xlm-roberta", "camembert"}:
        positions -= 2
    return min(declared, positions, 4096)


def build_classifier(
    *,
    model_path: str | Path | None = None,
    embedder: SentenceTransformer | Embed | None = None,
    device: str = "cpu",
) -> EmotionClassifier:
    """The configured classifier: a local transformers model when ``model_path``
    is set, otherwise the embedding classifier over ``embedder`` (MiniLM loaded
    here when none is given)."""
    if model_path is not None and str(model_path).strip():
        return TransformersEmotionClassifier(model_path, device=device)
    if embedder is None:
        from app.emotion.embedding import load_minilm

        embedder = load_minilm(device)
    return EmbeddingEmotionClassifier(embedder)
