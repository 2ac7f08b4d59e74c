from app.lore.chunking import estimate_tokens, split_passages


class TestSplitPassages:
    def test_blank_text_has_no_passages(self) -> None:
        assert split_passages(" \n\n ") == []

    def test_short_text_is_one_passage(self) -> None:
        assert split_passages("One line.\n\nAnother.") == ["One line.\n\nAnother."]

    def test_long_text_is_cut_within_the_budget(self) -> None:
        text = "\n\n".join(f"Paragraph {i}. " + "Words go on. " * 20 for i in range(10))

        passages = split_passages(text, max_tokens=120, overlap_tokens=20)

        assert len(passages) > 3
        assert all(estimate_tokens(p) <= 120 for p in passages)

    def test_passages_overlap_by_a_sentence(self) -> None:
        text = " ".join(f"Sentence number {i} is here." for i in range(60))

        passages = split_passages(text, max_tokens=60, overlap_tokens=15)

        last_of_first = passages[0].rsplit(". ", 1)[-1]
        assert passages[1].startswith(last_of_first.rstrip("."))

    def test_cuts_at_sentence_ends(self) -> None:
        text = " ".join(f"Sentence number {i} is here." for i in range(60))

        passages = split_passages(text, max_tokens=60, overlap_tokens=0)

        assert all(p.endswith(".") for p in passages)

    def test_sentence_longer_than_a_passage_is_cut_by_words(self) -> None:
        text = "word " * 500

        passages = split_passages(text, max_tokens=100, overlap_tokens=0)

        assert len(passages) >= 5
        assert "".join(passages).replace(" ", "") == text.replace(" ", "")

    def test_text_without_spaces_is_cut(self) -> None:
        passages = split_passages("x" * 5000, max_tokens=100)

        assert len(passages) > 1
