"""Small models that turn sentence embeddings into scores over the 28 labels.

Each head gives temperature-scaled logits; the classifier applies the softmax.
The temperatures are fitted on held-out logits (leave-one-out or k-fold on the
example lines), so a top score of 0.6 means about what it says.
"""

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


class Head(Protocol):
    def logits(self, embeddings: FloatArray) -> FloatArray:
        """Temperature-scaled logits, one row of 28 per embedding."""
        ...


def softmax(logits: FloatArray) -> FloatArray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    result: FloatArray = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
    return result


def fit_temperature(logits: FloatArray, targets: IntArray) -> float:
    """The temperature that minimises the negative log-likelihood of ``targets``.

    A grid in log space is enough for one parameter, and is deterministic.
    """
    best_t, best_nll = 1.0, np.inf
    for t in np.geomspace(1e-3, 1e2, 501):
        scaled = logits / t
        shifted = scaled - scaled.max(axis=1, keepdims=True)
        log_z = np.log(np.exp(shifted).sum(axis=1))
        nll = float(np.mean(log_z - shifted[np.arange(len(targets)), targets]))
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


def _unit(rows: FloatArray) -> FloatArray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    result: FloatArray = (rows / np.maximum(norms, 1e-12)).astype(np.float32)
    return result


@dataclass(frozen=True)
class PrototypeHead:
    """Cosine similarity to each label's mean example embedding."""

    centroids: FloatArray
    temperature: float

    def logits(self, embeddings: FloatArray) -> FloatArray:
        return (_unit(embeddings) @ self.centroids.T / self.temperature).astype(
            np.float32
        )


def fit_prototype(
    embeddings: FloatArray, targets: IntArray, n_labels: int
) -> PrototypeHead:
    unit = _unit(embeddings)
    sums = np.zeros((n_labels, unit.shape[1]), dtype=np.float32)
    np.add.at(sums, targets, unit)
    centroids = _unit(sums)

    # Leave-one-out: each example is scored against its own label's centroid
    # computed without it, otherwise the fitted temperature is overconfident.
    sims = unit @ centroids.T
    own: FloatArray = (sums[targets] - unit).astype(np.float32)
    rows = np.arange(len(targets))
    sims[rows, targets] = np.einsum("ij,ij->i", unit, _unit(own))
    return PrototypeHead(centroids, fit_temperature(sims, targets))


@dataclass(frozen=True)
class KnnHead:
    """Mean cosine similarity to each label's ``k`` nearest examples."""

    examples: FloatArray
    targets: IntArray
    n_labels: int
    k: int
    temperature: float

    def logits(self, embeddings: FloatArray) -> FloatArray:
        sims = _unit(embeddings) @ self.examples.T
        return knn_similarity(sims, self.targets, self.n_labels, self.k) / np.float32(
            self.temperature
        )


def knn_similarity(
    sims: FloatArray, targets: IntArray, n_labels: int, k: int
) -> FloatArray:
    out = np.empty((sims.shape[0], n_labels), dtype=np.float32)
    for label in range(n_labels):
        columns = sims[:, targets == label]
        top = min(k, columns.shape[1])
        out[:, label] = np.sort(columns, axis=1)[:, -top:].mean(axis=1)
    return out


def fit_knn(
    embeddings: FloatArray, targets: IntArray, n_labels: int, k: int = 5
) -> KnnHead:
    unit = _unit(embeddings)
    sims = unit @ unit.T
    # Leave-one-out: an example must not be its own nearest neighbour.
    np.fill_diagonal(sims, -np.inf)
    held_out = knn_similarity(sims, targets, n_labels, k)
    return KnnHead(unit, targets, n_labels, k, fit_temperature(held_out, targets))


@dataclass(frozen=True)
class LinearHead:
    """Multinomial logistic regression on the embeddings."""

    weight: FloatArray  # (dimensions, labels)
    bias: FloatArray
    temperature: float = 1.0

    def logits(self, embeddings: FloatArray) -> FloatArray:
        raw = embeddings @ self.weight + self.bias
        return (raw / self.temperature).astype(np.float32)


def fit_linear(
    embeddings: FloatArray,
    targets: IntArray,
    n_labels: int,
    l2: float,
    label_smoothing: float = 0.0,
) -> LinearHead:
    """Full-batch L-BFGS from zero weights: the same data gives the same head."""
    import torch  # only training needs it; scoring is numpy

    x = torch.from_numpy(np.ascontiguousarray(embeddings, dtype=np.float32))
    y = torch.from_numpy(targets)
    weight = torch.zeros(x.shape[1], n_labels, requires_grad=True)
    bias = torch.zeros(n_labels, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [weight, bias],
        lr=1.0,
        max_iter=500,
        history_size=20,
        line_search_fn="strong_wolfe",
        tolerance_grad=1e-6,
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = (
            torch.nn.functional.cross_entropy(
                x @ weight + bias, y, label_smoothing=label_smoothing
            )
            + l2 * weight.pow(2).sum()
        )
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimizer.step(closure)  # type: ignore[no-untyped-call]
    return LinearHead(
        weight.detach().numpy().astype(np.float32),
        bias.detach().numpy().astype(np.float32),
    )


def fold_of(targets: IntArray, folds: int) -> IntArray:
    """Deterministic stratified fold numbers: the n-th example of a label goes to
    fold n mod ``folds``."""
    out = np.empty(len(targets), dtype=np.int64)
    for label in np.unique(targets):
        where = np.flatnonzero(targets == label)
        out[where] = np.arange(len(where)) % folds
    return out


def held_out_logits(
    embeddings: FloatArray,
    targets: IntArray,
    n_labels: int,
    l2: float,
    folds: int = 5,
    label_smoothing: float = 0.0,
) -> FloatArray:
    """Out-of-fold raw logits of the linear head, for choosing ``l2`` and fitting
    its temperature without touching the evaluation set."""
    fold = fold_of(targets, folds)
    out = np.zeros((len(targets), n_labels), dtype=np.float32)
    for k in range(folds):
        train, test = fold != k, fold == k
        head = fit_linear(
            embeddings[train], targets[train], n_labels, l2, label_smoothing
        )
        out[test] = head.logits(embeddings[test])
    return out
