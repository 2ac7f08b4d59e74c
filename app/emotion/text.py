"""Cutting long messages down to the part a classifier reads.

Role-play messages often run to paragraphs of narration with the character's
current feeling in their last lines, while the models read a few hundred word
pieces at most and were trained on far shorter text (GoEmotions comments; the
MiniLM embedder on pairs of at most 128 pieces). So both classifiers read only
the *end* of a message: its last whole sentences within ``TAIL_BUDGET`` word
pieces, about three sentences.

Measured with ``bench/emotion_eval.py`` on the MiniLM classifier, on the 29
evaluation items over 64 word pieces (10 of them over 254), top-1 fine/coarse:
the model's own truncation (keeps the start) 69%/76% (40%/60% over 254); the
last 254 pieces 72%/79% (50%/70%); averaging over chunks of 128 pieces 76%/76%
(70%/70%); the last 64 pieces 83%/83% (90%/90%). Reading less also bounds the
cost of a long message.
"""

import re
from collections.abc import Callable

TokenCounter = Callable[[str], int]

TAIL_BUDGET = 64

# A sentence ends at . ! ? or an ellipsis, possibly followed by closing quotes,
# brackets or the asterisk that closes a role-play action, then whitespace; a
# line break always ends one.
_SENTENCE = re.compile(
    r"\S.*?(?:[.!?\u2026]+[\"'\u201d\u2019)\]*]*(?=\s|$)|(?=\n)|$)", re.S
)


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` in order, stripped; none for blank text."""
    return [m.group().strip() for m in _SENTENCE.finditer(text) if m.group().strip()]


def estimate_tokens(text: str) -> int:
    """A cautious word-piece count for embedders that bring no tokenizer.

    English averages about 1.3 word pieces a word and each punctuation mark is
    one more, so this counts 1.4 a word plus the marks: a window it picks stays
    within the model's limit.
    """
    words = len(text.split())
    marks = sum(1 for char in text if not char.isalnum() and not char.isspace())
    return int(words * 1.4) + marks


def tail_window(text: str, count: TokenCounter, budget: int) -> str:
    """The last whole sentences of ``text`` that together fit ``budget`` tokens.

    When even the last sentence is too long, its last words that fit are kept.
    Text within the budget is returned unchanged.
    """
    # A word piece is never shorter than one character, so short text needs no
    # tokenizer call: this keeps the common case cheap.
    if len(text) <= budget or count(text) <= budget:
        return text

    kept: list[str] = []
    used = 0
    for sentence in reversed(split_sentences(text)):
        size = count(sentence)
        if used + size > budget:
            break
        kept.append(sentence)
        used += size
    if kept:
        return " ".join(reversed(kept))
    return _tail_words(text, count, budget)


def _tail_words(text: str, count: TokenCounter, budget: int) -> str:
    words = text.split()
    kept: list[str] = []
    for word in reversed(words):
        if count(" ".join([word, *kept])) > budget:
            break
        kept.insert(0, word)
    # A single word longer than the budget: the model truncates it itself.
    return " ".join(kept) if kept else words[-1]


def chunks(text: str, count: TokenCounter, budget: int) -> list[str]:
    """Consecutive runs of whole sentences of at most ``budget`` tokens each."""
    result: list[str] = []
    current: list[str] = []
    used = 0
    for sentence in split_sentences(text) or [text]:
        size = count(sentence)
        if current and used + size > budget:
            result.append(" ".join(current))
            current, used = [], 0
        current.append(sentence)
        used += size
    if current:
        result.append(" ".join(current))
    return result
