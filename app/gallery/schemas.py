from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from app.kit.schemas import DbId, Schema

MAX_DESCRIPTION_LENGTH = 2000


class ImageUploadRequest(Schema):
    """ImageUploadRequest: an image as a data URL, plain base64 or an http(s)
    URL, in `image` or `url`."""

    image: Annotated[str, StringConstraints(min_length=1)] | None = None
    url: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = (
        Field(default=None, description="An http(s) URL of the image to fetch.")
    )
    project_id: DbId | None = None
    description: Annotated[
        str, StringConstraints(max_length=MAX_DESCRIPTION_LENGTH)
    ] = ""
    nsfw: bool | None = None

    @model_validator(mode="after")
    def _has_an_image(self) -> "ImageUploadRequest":
        if self.image is None and self.url is None:
            raise ValueError("Give the image in `image` or its URL in `url`.")
        return self

    @property
    def source(self) -> str:
        """The image's data URL, base64 or http(s) URL."""
        source = self.url or self.image
        assert source is not None
        return source


class ImageMetadata(BaseModel):
    width: int
    height: int
    content_type: str
    size_bytes: int


class GalleryItem(BaseModel):
    """GalleryItem: an image, with its full size and preview URLs."""

    uuid: str
    url: str
    primary_image_path: str = Field(description="The full image's URL, as `url`.")
    preview_url: str
    preview_image_path: str
    description: str
    nsfw: bool
    nsfw_image: bool
    project_id: int | None
    user_id: int
    username: str
    created_at: datetime
    metadata: ImageMetadata


class GalleryPage(BaseModel):
    """Gallery: one page of images in the envelope clients read."""

    count: int = Field(description="All matches with count=true, else this page's.")
    nodes: list[GalleryItem]
    page: int
    items: list[GalleryItem] = Field(description="The same list as `nodes`.")
    total: int
    limit: int
