"""Splitting free text into passages that an embedding model reads whole.

all-MiniLM-L6-v2 reads at most 256 word pieces and was trained on far
shorter texts, so passages aim at about 200: paragraphs are kept together
where they fit, long ones are cut at sentence ends, and each passage repeats
the last sentence or two of the one before, so that a fact spanning the cut
is found from either side.
"""

import re
from collections.abc import Iterator

MAX_TOKENS = 200
OVERLAP_TOKENS = 40

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# A sentence ends at . ! ? … (or their CJK forms) and any closing quotes or
# brackets, followed by white space; CJK full stops need no space after them.
_SENTENCE_END = re.compile(r"(?<=[.!?…][\"'”’)\]»])\s+|(?<=[.!?…])\s+|(?<=[。！？])")
_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def estimate_tokens(text: str) -> int:
    """Roughly the word pieces of a BERT tokenizer: words and punctuation, plus
    a third for the words it splits, and more for very long "words"."""
    return _raw_tokens(text) * 4 // 3


def _raw_tokens(text: str) -> int:
    tokens = _TOKEN.findall(text)
    return len(tokens) + sum(len(token) // 10 for token in tokens)


def split_passages(
    text: str, max_tokens: int = MAX_TOKENS, overlap_tokens: int = OVERLAP_TOKENS
) -> list[str]:
    """The passages of `text`, in order; none for blank text."""
    # Sizes are added up unscaled, so that rounding cannot push a passage
    # over the budget.
    max_tokens, overlap_tokens = max_tokens * 3 // 4, overlap_tokens * 3 // 4
    units = list(_units(text, max_tokens))
    passages: list[str] = []
    current: list[tuple[str, int, bool]] = []
    size = 0
    for unit, tokens, starts_paragraph in units:
        if current and size + tokens > max_tokens:
            passages.append(_join(current))
            current = _overlap(current, overlap_tokens, max_tokens - tokens)
            size = sum(t for _, t, _ in current)
        current.append((unit, tokens, starts_paragraph))
        size += tokens
    if current:
        passages.append(_join(current))
    return passages


def _units(text: str, max_tokens: int) -> Iterator[tuple[str, int, bool]]:
    """(sentence, tokens, starts a paragraph) for each sentence of `text`,
    with sentences longer than a passage cut into runs of words."""
    for paragraph in _PARAGRAPH_BREAK.split(text.replace("\r\n", "\n")):
        first = True
        for sentence in _SENTENCE_END.split(paragraph.strip()):
            sentence = sentence.strip()
            if not sentence:
                continue
            for piece in _cut_long(sentence, max_tokens):
                yield piece, _raw_tokens(piece), first
                first = False


def _cut_long(sentence: str, max_tokens: int) -> Iterator[str]:
    if _raw_tokens(sentence) <= max_tokens:
        yield sentence
        return
    words = sentence.split()
    if len(words) <= 1:
        # One huge "word" (a URL, text without spaces): cut by characters.
        step = max_tokens * 3
        for start in range(0, len(sentence), step):
            yield sentence[start : start + step]
        return
    run: list[str] = []
    for word in words:
        if run and _raw_tokens(" ".join([*run, word])) > max_tokens:
            yield " ".join(run)
            run = []
        run.append(word)
    if run:
        yield " ".join(run)


def _overlap(
    units: list[tuple[str, int, bool]], overlap_tokens: int, room: int
) -> list[tuple[str, int, bool]]:
    """The trailing sentences of a passage that the next one starts with."""
    kept: list[tuple[str, int, bool]] = []
    size = 0
    for unit, tokens, _ in reversed(units):
        if size + tokens > min(overlap_tokens, room):
            break
        kept.insert(0, (unit, tokens, False))
        size += tokens
    return kept


def _join(units: list[tuple[str, int, bool]]) -> str:
    text = ""
    for unit, _, starts_paragraph in units:
        if not text:
            text = unit
        elif starts_paragraph:
            text += "\n\n" + unit
        else:
            text += " " + unit
    return text
