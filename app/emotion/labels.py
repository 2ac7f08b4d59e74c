"""The 28 GoEmotions labels and the coarse feelings they roll up to."""

from typing import Final, Literal

# The order is the GoEmotions order that front ends key their sprites by; the
# classifiers' score vectors follow it too.
LABELS: Final[tuple[str, ...]] = (
    "admiration",
    "amusement",
    "anger",
    "annoyance",
    "approval",
    "caring",
    "confusion",
    "curiosity",
    "desire",
    "disappointment",
    "disapproval",
    "disgust",
    "embarrassment",
    "excitement",
    "fear",
    "gratitude",
    "grief",
    "joy",
    "love",
    "nervousness",
    "optimism",
    "pride",
    "realization",
    "relief",
    "remorse",
    "sadness",
    "surprise",
    "neutral",
)

Coarse = Literal[
    "joy", "sadness", "anger", "fear", "surprise", "disgust", "love", "neutral"
]

COARSE_FEELINGS: Final[tuple[Coarse, ...]] = (
    "joy",
    "sadness",
    "anger",
    "fear",
    "surprise",
    "disgust",
    "love",
    "neutral",
)

# Ekman-style grouping as in the GoEmotions paper, except that warmth towards
# someone (love, caring, desire) gets its own "love" feeling: sprite sets keep a
# separate "love" face, and folding it into joy would hide it.
COARSE: Final[dict[str, Coarse]] = {
    "admiration": "joy",
    "amusement": "joy",
    "anger": "anger",
    "annoyance": "anger",
    "approval": "joy",
    "caring": "love",
    "confusion": "surprise",
    "curiosity": "surprise",
    "desire": "love",
    "disappointment": "sadness",
    "disapproval": "anger",
    "disgust": "disgust",
    "embarrassment": "sadness",
    "excitement": "joy",
    "fear": "fear",
    "gratitude": "joy",
    "grief": "sadness",
    "joy": "joy",
    "love": "love",
    "nervousness": "fear",
    "optimism": "joy",
    "pride": "joy",
    "realization": "surprise",
    "relief": "joy",
    "remorse": "sadness",
    "sadness": "sadness",
    "surprise": "surprise",
    "neutral": "neutral",
}

LABEL_INDEX: Final[dict[str, int]] = {label: i for i, label in enumerate(LABELS)}


def coarse_of(label: str) -> Coarse:
    """The coarse feeling of a GoEmotions label (``KeyError`` for other names)."""
    return COARSE[label]


def coarse_scores(scores: list[tuple[str, float]]) -> list[tuple[Coarse, float]]:
    """Roll fine scores up to the coarse feelings, highest first.

    Each feeling takes the highest score among its labels rather than the sum: a
    sum would favour joy for having nine labels, and multi-label (sigmoid) scores
    do not add up to a probability anyway.
    """
    best: dict[Coarse, float] = dict.fromkeys(COARSE_FEELINGS, 0.0)
    for label, score in scores:
        feeling = COARSE[label]
        best[feeling] = max(best[feeling], score)
    return sorted(best.items(), key=lambda item: -item[1])
