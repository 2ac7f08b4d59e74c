from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, Field, model_validator

from app.kit.schemas import DbId, Schema, Success

MAX_OWNERS = 100
# /lore/items pages: a 20 MB lorebook has tens of thousands of entries.
DEFAULT_ITEMS_PAGE = 200
MAX_ITEMS_PAGE = 1000
MAX_QUERY_CHARS = 20_000
MAX_MESSAGES = 200


class LoreMode(StrEnum):
    hybrid = "hybrid"
    semantic = "semantic"
    keyword = "keyword"


class ChatMessage(Schema):
    role: str = "user"
    content: Annotated[str, Field(max_length=MAX_QUERY_CHARS)] = ""


class LoreQuery(Schema):
    """A lore request: a text or the latest messages of a chat."""

    query: Annotated[str, Field(max_length=MAX_QUERY_CHARS)] | None = None
    messages: Annotated[list[ChatMessage], Field(max_length=MAX_MESSAGES)] | None = None
    owner_ids: Annotated[list[DbId], Field(min_length=1, max_length=MAX_OWNERS)]
    first: Annotated[int, Field(ge=1, le=50)] = 5
    mode: LoreMode = LoreMode.hybrid
    min_score: Annotated[float, Field(ge=-1.0, le=1.0)] | None = None

    @model_validator(mode="after")
    def _needs_text(self) -> "LoreQuery":
        if not (self.query or "").strip() and not any(
            m.content.strip() for m in self.messages or []
        ):
            raise ValueError("send a `query` or `messages` with some text")
        return self


class LoreFetch(Schema):
    owner_ids: Annotated[list[DbId], Field(max_length=MAX_OWNERS)] = []


class LoreResult(BaseModel):
    uuid: UUID = Field(description="The passage.")
    item_uuid: UUID
    owner_id: int
    name: str
    kind: str
    content: str
    score: float
    similarity: float | None = Field(description="Cosine; null for keyword hits.")
    matched_keys: list[str]
    reason: str
    position: Any = None
    order: float


class LoreResults(BaseModel):
    results: list[LoreResult]


class LoreItemRead(BaseModel):
    uuid: UUID
    batch_uuid: UUID
    owner_id: int
    name: str
    kind: str
    source: str
    content: str
    truncated: bool
    keys: list[str]
    secondary_keys: list[str]
    selective: bool
    selective_logic: str
    constant: bool
    enabled: bool
    case_sensitive: bool | None
    use_regex: bool
    position: Any
    order: float
    status: str
    error: str | None
    n_passages: int
    created_at: datetime


class LoreItems(BaseModel):
    items: list[LoreItemRead]
    count: int = Field(description="Items of these owners in all pages.")
    page: int
    first: int
    has_more: bool


class AddedItem(BaseModel):
    uuid: UUID
    name: str
    status: str
    n_passages: int


class LoreItemAdded(Success):
    """The answer to an upload: `uuid` names the upload (the item itself for
    a text) and deletes it whole."""

    uuid: UUID
    owner_id: int
    name: str
    content: str
    status: str
    n_passages: int
    n_items: int
    items: list[AddedItem]
