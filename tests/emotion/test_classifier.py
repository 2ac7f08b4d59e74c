import math

import numpy as np
import pytest

from app.emotion.classifier import (
    EmbeddingEmotionClassifier,
    EmotionClassifier,
    Scores,
    build_classifier,
    rank,
)
from app.emotion.labels import COARSE, LABELS
from tests.emotion.conftest import hashed_embed

ODD_TEXTS = [
    "",
    "   ",
    "\n\n\t",
    "😀😀😀",
    "🔥",
    "こんにちは、元気ですか？",
    "Привет! Как дела?",
    "مرحبا كيف حالك",
    "!!!???...",
    "*",
    "**",
    "a" * 5000,
    "word " * 3000,
    "<script>alert(1)</script>",
    "null\x00byte and \x1b[31mcolour",
    "12345 67890",
]


def assert_well_formed(scores: Scores) -> None:
    assert [label for label, _ in scores] != []
    assert sorted(label for label, _ in scores) == sorted(LABELS)
    values = [score for _, score in scores]
    assert all(0.0 <= value <= 1.0 for value in values)
    assert values == sorted(values, reverse=True)


class TestRank:
    def test_ties_keep_the_goemotions_order(self) -> None:
        ranked = rank(np.full((1, 28), 1 / 28, dtype=np.float32))[0]

        assert [label for label, _ in ranked] == list(LABELS)

    def test_scores_are_clipped_and_nan_free(self) -> None:
        row = np.zeros((1, 28), dtype=np.float32)
        row[0, 0], row[0, 1] = np.nan, 1.5

        ranked = rank(row)[0]

        assert ranked[0] == ("amusement", 1.0)
        assert all(not math.isnan(score) for _, score in ranked)


class TestEmbeddingClassifierShape:
    def test_is_an_emotion_classifier(
        self, classifier: EmbeddingEmotionClassifier
    ) -> None:
        assert isinstance(classifier, EmotionClassifier)

    def test_all_28_labels_highest_first_summing_to_one(
        self, classifier: EmbeddingEmotionClassifier
    ) -> None:
        results = classifier.classify(["Hello!", "*cries* Why did you go?"])

        assert len(results) == 2
        for scores in results:
            assert_well_formed(scores)
            assert sum(score for _, score in scores) == pytest.approx(1.0, abs=1e-4)

    def test_no_texts_no_results(self, classifier: EmbeddingEmotionClassifier) -> None:
        assert classifier.classify([]) == []


class TestEmbeddingClassifierDeterminism:
    def test_same_text_same_scores(
        self, classifier: EmbeddingEmotionClassifier
    ) -> None:
        texts = ["I can't believe you did that!", "Okay, see you tomorrow."]

        assert classifier.classify(texts) == classifier.classify(texts)

    def test_batch_company_does_not_change_the_answer(
        self, classifier: EmbeddingEmotionClassifier
    ) -> None:
        alone = classifier.classify(["Thank you, truly."])[0]
        together = classifier.classify(["Go away.", "Thank you, truly.", "Hm."])[1]

        assert alone[0][0] == together[0][0]
        assert dict(alone)["gratitude"] == pytest.approx(
            dict(together)["gratitude"], abs=1e-4
        )


class TestEmbeddingClassifierOddInput:
    @pytest.mark.parametrize("text", ODD_TEXTS)
    def test_answers_without_raising(
        self, classifier: EmbeddingEmotionClassifier, text: str
    ) -> None:
        [scores] = classifier.classify([text])

        assert_well_formed(scores)

    def test_odd_texts_together(self, classifier: EmbeddingEmotionClassifier) -> None:
        results = classifier.classify(ODD_TEXTS)

        assert len(results) == len(ODD_TEXTS)


class TestEmbeddingClassifierLongText:
    def test_the_end_of_a_long_message_decides(
        self, classifier: EmbeddingEmotionClassifier
    ) -> None:
        narration = "*The caravan rolls on along the dusty road past the mill.* " * 80
        text = narration + "Thank you so much for saving us. I am forever grateful!"

        [scores] = classifier.classify([text])

        assert scores[0][0] == "gratitude"


class TestEmbeddingClassifierClearSentences:
    @pytest.mark.parametrize(
        ("text", "acceptable"),
        [
            (
                "Thank you so much for everything, I really appreciate it!",
                {"gratitude"},
            ),
            ("I'm so sorry, it was all my fault. Please forgive me.", {"remorse"}),
            ("Eww, gross, there's a dead rat floating in the soup!", {"disgust"}),
            ("I love you more than anything in this world, darling.", {"love"}),
            ("Help! Something is in the dark and it's coming for me!", {"fear"}),
            ("Hahaha, that's the funniest thing I've heard all week!", {"amusement"}),
            ("How DARE you betray me! I'll make you pay for this!", {"anger"}),
            ("My father died this morning. I can't believe he's gone.", {"grief"}),
        ],
    )
    def test_gets_the_obvious_label(
        self, classifier: EmbeddingEmotionClassifier, text: str, acceptable: set[str]
    ) -> None:
        [scores] = classifier.classify([text])

        assert scores[0][0] in acceptable
        assert COARSE[scores[0][0]] == COARSE[next(iter(acceptable))]


class TestEmbeddingClassifierOtherEmbedder:
    def test_trains_its_own_head_for_an_unknown_embedder(self) -> None:
        classifier = EmbeddingEmotionClassifier(hashed_embed)

        [scores] = classifier.classify(["Thank you so much!"])

        assert_well_formed(scores)


class TestBuildClassifier:
    def test_default_is_the_embedding_classifier(self) -> None:
        built = build_classifier(embedder=hashed_embed)

        assert isinstance(built, EmbeddingEmotionClassifier)

    def test_a_blank_model_path_means_the_default(self) -> None:
        built = build_classifier(model_path=" ", embedder=hashed_embed)

        assert isinstance(built, EmbeddingEmotionClassifier)
