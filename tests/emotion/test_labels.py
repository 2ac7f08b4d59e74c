from app.emotion.labels import COARSE, COARSE_FEELINGS, LABELS, coarse_of, coarse_scores


class TestLabels:
    def test_the_28_goemotions_labels_in_order(self) -> None:
        assert len(LABELS) == 28
        assert LABELS[:3] == ("admiration", "amusement", "anger")
        assert LABELS[-1] == "neutral"
        assert list(LABELS) == sorted(LABELS[:-1]) + ["neutral"]

    def test_every_label_has_a_coarse_feeling(self) -> None:
        assert set(COARSE) == set(LABELS)
        assert set(COARSE.values()) == set(COARSE_FEELINGS)

    def test_basic_feelings_map_to_themselves(self) -> None:
        for feeling in ("joy", "sadness", "anger", "fear", "surprise", "disgust"):
            assert coarse_of(feeling) == feeling
        assert coarse_of("love") == "love"
        assert coarse_of("neutral") == "neutral"


class TestCoarseScores:
    def test_each_feeling_takes_its_best_label(self) -> None:
        scores = [("grief", 0.5), ("sadness", 0.2), ("joy", 0.3)]

        rolled = dict(coarse_scores(scores))

        assert rolled["sadness"] == 0.5
        assert rolled["joy"] == 0.3
        assert rolled["fear"] == 0.0

    def test_highest_first_and_all_feelings(self) -> None:
        rolled = coarse_scores([("anger", 0.9), ("fear", 0.1)])

        assert rolled[0] == ("anger", 0.9)
        assert {feeling for feeling, _ in rolled} == set(COARSE_FEELINGS)
