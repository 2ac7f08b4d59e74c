from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request

from app.auth.dependencies import CurrentUser, OptionalUser
from app.db import SessionDep
from app.gallery import service
from app.gallery.repository import GalleryFilter
from app.gallery.schemas import (
    GalleryItem,
    GalleryPage,
    ImageMetadata,
    ImageUploadRequest,
)
from app.gallery.uploads import read_upload
from app.kit.fetch import FetcherDep
from app.kit.schemas import DbId, Success, success
from app.kit.urls import base_url
from app.media.dependencies import StorageDep
from app.models import GalleryImage
from app.projects.access import get_readable

router = APIRouter(tags=["Projects"])

# Bounded so that the offset, page times limit, stays a bigint.
PageParam = Annotated[int, Query(ge=1, le=1_000_000)]
LimitParam = Annotated[int, Query(ge=1, le=200)]

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ImageUploadRequest.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "url": {"type": "string"},
                        "project_id": {"type": "integer"},
                        "description": {"type": "string"},
                        "nsfw": {"type": "boolean"},
                    },
                }
            },
        },
    }
}


def to_item(image: GalleryImage, username: str, base: str) -> GalleryItem:
    url = f"{base}/media/{image.image_key}"
    preview = f"{base}/media/{image.preview_key}"
    return GalleryItem(
        uuid=str(image.uuid),
        url=url,
        primary_image_path=url,
        preview_url=preview,
        preview_image_path=preview,
        description=image.description,
        nsfw=image.nsfw,
        nsfw_image=image.nsfw,
        project_id=image.project_id,
        user_id=image.uploader_id,
        username=username,
        created_at=image.created_at,
        metadata=ImageMetadata(
            width=image.width,
            height=image.height,
            content_type=image.content_type,
            size_bytes=image.size_bytes,
        ),
    )


def _page(found: service.ImagePage, base: str, page: int, limit: int) -> GalleryPage:
    items = [to_item(image, name, base) for image, name in found.images]
    return GalleryPage(
        count=found.count,
        nodes=items,
        page=page,
        items=items,
        total=found.count,
        limit=limit,
    )


@router.post("/api/gallery/upload", openapi_extra=UPLOAD_BODY)
async def upload_image(
    request: Request,
    session: SessionDep,
    storage: StorageDep,
    user: CurrentUser,
    fetcher: FetcherDep,
) -> GalleryItem:
    """Upload to the gallery of images."""
    upload = await read_upload(request, fetcher)

    image = await service.upload_image(session, storage, user, upload)
    return to_item(image, user.username, base_url(request))


@router.get("/api/gallery")
async def list_gallery(
    request: Request,
    session: SessionDep,
    nsfw: bool = True,
    page: PageParam = 1,
    limit: LimitParam = 24,
    count: bool = True,
) -> GalleryPage:
    """Fetch the gallery of all images for all projects."""
    query = GalleryFilter(project_id=None, nsfw=nsfw)

    found = await service.list_images(
        session, query, page=page, limit=limit, with_count=count
    )
    return _page(found, base_url(request), page, limit)


@router.get("/api/gallery/project/{project_id}")
async def list_project_gallery(
    project_id: DbId,
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    nsfw: bool = True,
    page: PageParam = 1,
    limit: LimitParam = 24,
    count: bool = True,
) -> GalleryPage:
    """Fetch the gallery of images for this project."""
    project = await get_readable(session, project_id, user)

    query = GalleryFilter(project_id=project.id, nsfw=nsfw)
    found = await service.list_images(
        session, query, page=page, limit=limit, with_count=count
    )
    return _page(found, base_url(request), page, limit)


@router.delete("/api/gallery/{uuid}")
async def delete_gallery_image(
    uuid: UUID,
    session: SessionDep,
    storage: StorageDep,
    user: CurrentUser,
    project_id: Annotated[DbId | None, Query(alias="projectId")] = None,
) -> Success:
    """Delete an image from the gallery."""
    await service.delete_image(session, storage, user, uuid, project_id)
    return success()
