"""Request and response shapes of /api/infer/emotion."""

from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, Field, model_validator

from app.kit.schemas import Schema

MAX_TEXTS = 64


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("the text is empty")
    return text


MessageText = Annotated[str, AfterValidator(_not_blank)]


class EmotionRequest(Schema):
    """One text, or up to 64 of them; exactly one of the two fields."""

    text: MessageText | None = Field(default=None, examples=["I am very happy today!"])
    texts: (
        Annotated[list[MessageText], Field(min_length=1, max_length=MAX_TEXTS)] | None
    ) = None

    @model_validator(mode="after")
    def _one_of_text_and_texts(self) -> Self:
        if (self.text is None) == (self.texts is None):
            raise ValueError("send either `text` or `texts`, not both or neither")
        return self

    def all_texts(self) -> list[str]:
        """The texts to classify, in order (the one ``text`` or the ``texts``)."""
        return [*(self.texts or []), *([self.text] if self.text is not None else [])]


class EmotionScore(BaseModel):
    label: str
    score: float


class EmotionRead(BaseModel):
    """The emotion of one text: its top label, and all 28 highest first."""

    emotion: str = Field(description="The top GoEmotions label.")
    confidence: float = Field(description="The top label's score, 0 to 1.")
    # Compat: the same pair under the names of text-classification pipelines,
    # which front ends written against one read.
    label: str
    score: float
    emotions: list[EmotionScore]


class EmotionResults(BaseModel):
    """The emotions of several texts, in the order they were sent."""

    results: list[EmotionRead]
