from app.emotion.text import chunks, estimate_tokens, split_sentences, tail_window


def words(text: str) -> int:
    return len(text.split())


class TestSplitSentences:
    def test_actions_and_lines_are_sentences(self) -> None:
        text = "*He sighs.* Fine. You win! Really?\nNext line"

        assert split_sentences(text) == [
            "*He sighs.*",
            "Fine.",
            "You win!",
            "Really?",
            "Next line",
        ]

    def test_blank_text_has_none(self) -> None:
        assert split_sentences("") == []
        assert split_sentences("  \n ") == []

    def test_text_without_punctuation_is_one_sentence(self) -> None:
        assert split_sentences("😀😀 ok") == ["😀😀 ok"]


class TestTailWindow:
    def test_short_text_is_unchanged(self) -> None:
        assert tail_window("Hello there. Bye.", words, 10) == "Hello there. Bye."

    def test_keeps_the_last_whole_sentences_that_fit(self) -> None:
        text = "One two three. Four five. Six seven eight."

        assert tail_window(text, words, 5) == "Four five. Six seven eight."

    def test_a_last_sentence_too_long_keeps_its_last_words(self) -> None:
        assert tail_window("a b c d e f g h", words, 3) == "f g h"

    def test_one_huge_word_is_returned_for_the_model_to_truncate(self) -> None:
        assert tail_window("x" * 500, len, 10) == "x" * 500


class TestChunks:
    def test_whole_sentences_within_the_budget(self) -> None:
        text = "One two. Three four. Five six seven."

        assert chunks(text, words, 4) == ["One two. Three four.", "Five six seven."]

    def test_empty_text_is_one_empty_chunk(self) -> None:
        assert chunks("", words, 4) == [""]


class TestEstimateTokens:
    def test_counts_words_and_marks(self) -> None:
        assert estimate_tokens("Hello, world!") == 4
        assert estimate_tokens("") == 0
