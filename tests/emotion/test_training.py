import json
from pathlib import Path

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from app.emotion.embedding import embed_with
from app.emotion.examples import (
    EXAMPLES_PATH,
    ExamplesInvalid,
    examples_digest,
    load_examples,
)
from app.emotion.head import fit_linear, fit_temperature, fold_of, softmax
from app.emotion.labels import LABELS
from app.emotion.training import HEAD_PATH, load_cached_head
from tests.emotion.conftest import hashed_embed


class TestExamples:
    def test_at_least_20_lines_for_each_label(self) -> None:
        raw = json.loads(EXAMPLES_PATH.read_text())

        assert raw["about"]
        assert list(raw["examples"]) == list(LABELS)
        assert min(len(lines) for lines in raw["examples"].values()) >= 20

    def test_no_line_is_listed_twice(self) -> None:
        texts = [text for text, _ in load_examples()]

        assert len(texts) == len(set(texts))

    def test_none_is_copied_from_the_evaluation_set(self) -> None:
        eval_path = Path(__file__).parents[2] / "bench/data/emotion_eval.jsonl"
        lines = eval_path.read_text().splitlines()
        evaluated = {json.loads(line)["text"] for line in lines}

        assert not evaluated & {text for text, _ in load_examples()}

    def test_a_file_missing_a_label_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "examples.json"
        path.write_text(json.dumps({"examples": {"joy": ["Yay!"]}}))

        with pytest.raises(ExamplesInvalid, match="admiration"):
            load_examples(path)


class TestShippedHead:
    def test_matches_the_examples_file(self) -> None:
        with np.load(HEAD_PATH) as data:
            assert str(data["examples_sha256"]) == examples_digest(), (
                "examples.json changed: run `python -m app.emotion.training`"
            )

    def test_is_used_with_minilm(self, minilm: SentenceTransformer) -> None:
        assert load_cached_head(embed_with(minilm)) is not None

    def test_is_not_used_with_another_embedder(self) -> None:
        assert load_cached_head(hashed_embed) is None


class TestFitLinear:
    def test_same_data_same_weights(self) -> None:
        rng = np.random.default_rng(0)
        x = rng.normal(size=(60, 8)).astype(np.float32)
        y = np.arange(60, dtype=np.int64) % 3

        first = fit_linear(x, y, 3, 1e-3)
        second = fit_linear(x, y, 3, 1e-3)

        np.testing.assert_array_equal(first.weight, second.weight)

    def test_separable_data_is_learned(self) -> None:
        x = np.eye(3, dtype=np.float32).repeat(10, axis=0)
        y = np.arange(3, dtype=np.int64).repeat(10)

        head = fit_linear(x, y, 3, 1e-4)

        assert (head.logits(x).argmax(axis=1) == y).all()


class TestFitTemperature:
    def test_overconfident_logits_are_cooled(self) -> None:
        # Right half of the time with huge margins: the best temperature is high.
        logits = np.array([[10.0, 0.0], [0.0, 10.0]] * 10, dtype=np.float32)
        targets = np.array([0, 0] * 10, dtype=np.int64)

        temperature = fit_temperature(logits, targets)

        probabilities = softmax(logits / temperature)
        assert temperature > 5
        assert probabilities[0, 0] == pytest.approx(0.5, abs=0.1)


class TestFoldOf:
    def test_each_label_is_spread_over_the_folds(self) -> None:
        targets = np.array([0] * 10 + [1] * 5, dtype=np.int64)

        folds = fold_of(targets, 5)

        assert sorted(folds[:10].tolist()) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
        assert sorted(folds[10:].tolist()) == [0, 1, 2, 3, 4]
