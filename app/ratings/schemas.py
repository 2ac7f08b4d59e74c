from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from app.kit.schemas import ReadSchema, Schema

MAX_COMMENT_LENGTH = 5000


class RatingCreate(Schema):
    rating: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[str, StringConstraints(max_length=MAX_COMMENT_LENGTH)] | None = (
        Field(default=None, description="Omitted, the previous comment is kept.")
    )


class RatingRead(ReadSchema):
    user_id: int
    username: str
    rating: int
    comment: str
    created_at: datetime
    updated_at: datetime


class RatingList(ReadSchema):
    ratings: list[RatingRead]
    average: float = Field(description="Mean of all ratings; 0 when there are none.")
    count: int = Field(description="Number of ratings, over all pages.")
