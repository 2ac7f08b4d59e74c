"""The app's emotion classifier and its batcher: built once, on first use.

Loading a model takes seconds, so it happens on the first request that needs it
(in a thread, the event loop keeps serving) rather than at start-up, which would
delay every deployment that never asks for an emotion.
"""

import asyncio
import time
from typing import TYPE_CHECKING, Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Request

from app.config import Settings
from app.emotion.batcher import EmotionBatcher
from app.emotion.classifier import (
    EmotionClassifier,
    EmotionModelInvalid,
    build_classifier,
)
from app.emotion.errors import EmotionUnavailable
from app.lore.embedder import load_embedder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = structlog.get_logger(__name__)


def load_classifier(settings: Settings) -> EmotionClassifier:
    """The configured classifier (blocking: call it in a thread)."""
    if settings.emotion_model is not None:
        return build_classifier(
            model_path=settings.emotion_model, device=settings.emotion_device
        )
    return build_classifier(
        embedder=shared_minilm(settings), device=settings.emotion_device
    )


def shared_minilm(settings: Settings) -> "SentenceTransformer | None":
    """Lore's MiniLM when lore uses the packaged one on the CPU, else None (the
    classifier then loads a MiniLM of its own).

    One copy serves both: calls from lore's threads and the batcher's may run
    at once, which torch allows in inference, and both call the shared
    tokenizer with the same settings, so neither reconfigures it under the
    other.
    """
    if settings.embedding_model or settings.emotion_device != "cpu":
        return None
    return load_embedder(settings).model


async def get_emotion_batcher(request: Request) -> EmotionBatcher:
    """The app's batcher, built on first use (tests override this dependency)."""
    state: Any = request.app.state
    batcher: EmotionBatcher | None = getattr(state, "emotion_batcher", None)
    if batcher is None:
        batcher = await _build_once(state)
    return batcher


async def _build_once(state: Any) -> EmotionBatcher:
    # Made with no await before it, so concurrent first requests share it.
    if not hasattr(state, "emotion_lock"):
        state.emotion_lock = asyncio.Lock()

    async with state.emotion_lock:
        if getattr(state, "emotion_batcher", None) is None:
            classifier = await asyncio.to_thread(_load, state.settings)
            state.emotion_batcher = EmotionBatcher(
                classifier,
                max_batch=state.settings.emotion_max_batch,
                max_wait=state.settings.emotion_max_wait_ms / 1000,
            )
    batcher: EmotionBatcher = state.emotion_batcher
    return batcher


def _load(settings: Settings) -> EmotionClassifier:
    started = time.perf_counter()
    try:
        classifier = load_classifier(settings)
    except EmotionModelInvalid as error:
        log.error("emotion.model_invalid", error=str(error))
        raise EmotionUnavailable(
            "The emotion model could not be loaded; see the server log."
        ) from error
    log.info(
        "emotion.classifier_loaded",
        classifier=type(classifier).__name__,
        seconds=round(time.perf_counter() - started, 2),
    )
    return classifier


async def close_emotion(app: FastAPI) -> None:
    """Finish the texts already queued and stop the batcher's thread."""
    batcher: EmotionBatcher | None = getattr(app.state, "emotion_batcher", None)
    if batcher is not None:
        await batcher.close()


EmotionBatcherDep = Annotated[EmotionBatcher, Depends(get_emotion_batcher)]
