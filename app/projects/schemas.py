from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.kit.schemas import Schema


class Visibility(StrEnum):
    public = "public"
    unlisted = "unlisted"
    private = "private"


class Label(BaseModel):
    title: str
    description: str


class ProjectNode(BaseModel):
    """A project as search results, profiles and fetches return it."""

    model_config = ConfigDict(extra="allow")

    id: int
    uuid: str
    name: str
    slug: str
    fullPath: str
    projectSpace: str
    creatorId: int
    creator: str
    description: str
    tagline: str
    topics: list[str]
    starCount: int = Field(description="Downloads.")
    n_downloads: int
    n_favorites: int
    nFavorites: int
    forksCount: int
    rating: float
    ratingCount: int
    nTokens: int
    n_tokens: int
    nChats: int
    nMessages: int
    createdAt: datetime
    lastActivityAt: datetime
    updatedAt: datetime
    hasGallery: bool
    nsfw_image: bool
    nsfw: bool
    nsfl: bool
    is_public: bool
    is_unlisted: bool
    visibility: str
    verified: bool
    recommended: bool
    ratings_disabled: bool
    has_lore: bool
    related_lorebooks: list[int]
    forked_from: int | None
    avatar_url: str | None
    max_res_url: str | None
    version: str
    definition: dict[str, Any] | None
    labels: list[Label]


class NodeEnvelope(BaseModel):
    node: ProjectNode
    errors: None = None


Text = Annotated[str, StringConstraints(max_length=100_000)]
ShortText = Annotated[str, StringConstraints(max_length=500)]


class MetadataUpdate(Schema):
    """CommonMetadataUpdate: the page fields of a project."""

    name: ShortText | None = None
    tagline: ShortText | None = None
    description: Text | None = None
    topics: list[Annotated[str, StringConstraints(max_length=64)]] | str | None = None
    nsfw: bool | None = None
    nsfl: bool | None = None
    visibility: Visibility | None = None
    is_public: bool | None = None
