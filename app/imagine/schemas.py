from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from app.kit.schemas import Schema

ImageData = Annotated[str, Field(max_length=30_000_000)]
"""An image as base64, a ``data:`` URL or an http(s) URL to fetch."""

OrderBy = Literal["created_at", "cost"]


class GenerationRequest(Schema):
    generation_type: str = Field(default="text_to_image", max_length=64)
    prompt: str = Field(min_length=1, max_length=4000)
    negative_prompt: str = Field(default="", max_length=4000)
    seed: int = Field(default=-1, ge=-1, le=2**32 - 1, description="-1: random.")
    aspect_ratio: str = Field(
        default="w1h1",
        pattern=r"^w[1-9]\d?h[1-9]\d?$",
        description="Width to height, as w1h1, w2h3, w16h9...",
    )
    num_inference_steps: int = Field(default=25, ge=1, le=150)
    guidance_scale: float = Field(default=7.0, ge=0, le=30)
    strength: float = Field(
        default=0.75, ge=0, le=1, description="How far to move from the init image."
    )
    init_image: ImageData | None = None
    init_images: list[ImageData] = Field(default_factory=list, max_length=4)
    mask_image: ImageData | None = None
    num_images: int = Field(default=1, ge=1, le=10)

    @model_validator(mode="after")
    def _ratio_in_range(self) -> "GenerationRequest":
        width, height = aspect_parts(self.aspect_ratio)
        if not 1 / 4 <= width / height <= 4:
            raise ValueError("aspect_ratio must lie between w1h4 and w4h1")
        return self

    @property
    def first_init_image(self) -> str | None:
        return self.init_image or (self.init_images[0] if self.init_images else None)


def aspect_parts(aspect_ratio: str) -> tuple[int, int]:
    width, _, height = aspect_ratio[1:].partition("h")
    return int(width), int(height)


class HistoryRequest(Schema):
    first: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=500)
    generation_uuids: list[str] = Field(default_factory=list, max_length=500)
    uuids: list[str] = Field(default_factory=list, max_length=500)
    generated_only: bool = False
    media_types: list[str] = Field(default_factory=list, max_length=10)
    order_by: OrderBy = "created_at"
    asc: bool = False
    return_raw: bool = Field(default=False, description="Add the media as base64.")


class DeletionRequest(Schema):
    uuids: list[str] = Field(max_length=500)


class ImaginedItem(BaseModel):
    generation_uuid: str
    uuid: str
    user_id: int
    cost: int
    primary_media_url: str | None
    secondary_media_urls: list[str]
    description: str
    is_done: bool
    is_failed: bool
    error: str | None
    note: str | None
    status: str
    generation_type: str
    media_type: str
    created_at: datetime
    finished_at: datetime | None
    raw_media: list[str] | None = Field(
        default=None, description="With return_raw: each media file as base64."
    )


class ImaginedItems(BaseModel):
    items: list[ImaginedItem]
    cursor: str | None
    previous_cursor: str | None


class DeletionResponse(BaseModel):
    successes: list[str]
    failures: list[str]


class CostList(BaseModel):
    costs: dict[str, int]
    """Credits per image, by generation type this server can do."""
    backend: str | None
    supported_generation_types: list[str]
