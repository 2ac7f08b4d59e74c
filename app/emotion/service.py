"""Classifying messages through the app's micro-batcher."""

import asyncio
import re

from app.emotion.batcher import BatcherClosed, EmotionBatcher
from app.emotion.classifier import Scores
from app.emotion.errors import EmotionUnavailable

# The classifiers read only the last sentences of a message, within 64 word
# pieces (see app/emotion/text.py). Tokenising megabytes only to cut them away
# would hold the one thread that every emotion request shares for seconds;
# 4,000 characters hold far more than 64 word pieces of any real text.
MAX_CHARS = 4000

_SPACE = re.compile(r"\s")


def tail_chars(text: str, limit: int = MAX_CHARS) -> str:
    """The end of ``text`` within ``limit`` characters, starting at a word."""
    if len(text) <= limit:
        return text

    tail = text[-limit:]
    # Half a word at the start would read as another word.
    space = _SPACE.search(tail)
    if space is None or not tail[space.end() :].strip():
        return tail
    return tail[space.end() :]


async def classify(batcher: EmotionBatcher, texts: list[str]) -> list[Scores]:
    """All 28 labels for each text with their scores, highest first, in the
    order given. Texts of concurrent requests share model calls."""
    try:
        return list(
            await asyncio.gather(*(batcher.classify(tail_chars(t)) for t in texts))
        )
    except BatcherClosed as error:
        raise EmotionUnavailable("The server is shutting down.") from error
