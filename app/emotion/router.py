from fastapi import APIRouter, Depends

from app.auth.dependencies import require_user
from app.emotion import service
from app.emotion.classifier import Scores
from app.emotion.dependencies import EmotionBatcherDep
from app.emotion.schemas import (
    EmotionRead,
    EmotionRequest,
    EmotionResults,
    EmotionScore,
)

router = APIRouter(tags=["Unstable"])


# A key is required, as on every endpoint not tagged Read-Only: each text costs
# model time, which anonymous callers could spend at will on a public server,
# and the clients of the hosted service send their key here (as the spec's
# example does). Checked before the batcher is resolved, so an anonymous call
# never loads the model.
@router.post("/api/infer/emotion", dependencies=[Depends(require_user)])
async def infer_emotion(
    body: EmotionRequest, batcher: EmotionBatcherDep
) -> EmotionRead | EmotionResults:
    """Infer the emotion of a string."""
    found = await service.classify(batcher, body.all_texts())

    if body.texts is not None:
        return EmotionResults(results=[_read(scores) for scores in found])
    return _read(found[0])


def _read(scores: Scores) -> EmotionRead:
    label, score = scores[0]
    return EmotionRead(
        emotion=label,
        confidence=score,
        label=label,
        score=score,
        emotions=[EmotionScore(label=name, score=value) for name, value in scores],
    )
