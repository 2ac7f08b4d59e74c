"""What the MCP tools answer; their JSON schemas are the tools' output schemas."""

from typing import Any

from pydantic import BaseModel, Field


class ProjectSummary(BaseModel):
    id: int
    path: str = Field(description="creator/slug; lorebooks/creator/slug for lorebooks.")
    kind: str = Field(description="characters or lorebooks.")
    name: str
    tagline: str
    description: str
    tags: list[str]
    n_tokens: int
    downloads: int
    rating: float | None
    nsfw: bool
    chat_model: str | None = Field(
        description="The /v1 model name that chats as this character."
    )


class SearchResults(BaseModel):
    count: int = Field(description="The total with count=true, else this page's size.")
    cursor: str | None = Field(description="Pass it back for the next page.")
    projects: list[ProjectSummary]


class ProjectDetail(ProjectSummary):
    definition: dict[str, Any] = Field(
        description="The card (V2/V3) or lorebook object as stored."
    )


class LoreHit(BaseModel):
    owner_id: int
    name: str
    content: str
    score: float
    reason: str


class LoreHits(BaseModel):
    results: list[LoreHit]


class EmotionScore(BaseModel):
    label: str
    score: float


class EmotionResult(BaseModel):
    emotion: str = Field(description="The most likely of the 28 GoEmotions labels.")
    score: float
    scores: list[EmotionScore]


class TagItem(BaseModel):
    name: str
    count: int = Field(description="Public projects with the tag.")
    is_nsfw: bool


class TagList(BaseModel):
    total: int
    tags: list[TagItem]


class ImageJob(BaseModel):
    uuid: str
    status: str = Field(description="queued, running, succeeded or failed.")
    is_done: bool
    is_failed: bool
    error: str | None
    cost: int
    prompt: str
    image_urls: list[str]
