"""Gallery images: uploads, listings, deletion and dissociation.

An image belongs to its uploader and, while `project_id` is set, shows in that
project's gallery. Files are written before the row and removed only after
the deleting transaction commits, so that a failed request never loses an
image that is still referenced; `rostro media gc` sweeps what a failed upload
left behind.
"""

import asyncio
import hashlib
from dataclasses import dataclass
from uuid import UUID, uuid4

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import after_commit
from app.gallery import repository
from app.gallery.errors import ImageNotFound, NotImageOwner
from app.gallery.imaging import PreparedImage, prepare_image
from app.gallery.repository import GalleryFilter
from app.media.storage import Storage
from app.models import GalleryImage, Project, User
from app.projects.access import get_owned

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Upload:
    data: bytes
    project_id: int | None
    description: str
    nsfw: bool | None


@dataclass
class ImagePage:
    images: list[tuple[GalleryImage, str]]
    """Each image with its uploader's username, newest first."""
    count: int


async def upload_image(
    session: AsyncSession, storage: Storage, user: User, upload: Upload
) -> GalleryImage:
    """Store a checked, re-encoded image for the caller, in the gallery of
    their project when one is named (404 when invisible, 403 when not theirs)."""
    project = None
    if upload.project_id is not None:
        project = await get_owned(session, upload.project_id, user)
    # Pillow's decoding is CPU-bound: off the event loop.
    prepared = await asyncio.to_thread(prepare_image, upload.data)

    image = GalleryImage(
        uuid=uuid4(),
        uploader_id=user.id,
        project_id=project.id if project else None,
        description=upload.description,
        nsfw=_nsfw(upload.nsfw, project),
        content_type=prepared.content_type,
        width=prepared.width,
        height=prepared.height,
        size_bytes=len(prepared.data),
    )
    await _store_files(storage, image, prepared)
    session.add(image)
    await session.flush()
    # The database's clock, like every other row's.
    await session.refresh(image, ["created_at"])
    if project is not None:
        project.has_gallery = True
    log.info("gallery.uploaded", image_id=image.id, project_id=image.project_id)
    return image


def _nsfw(flag: bool | None, project: Project | None) -> bool:
    # Unsaid, an image takes its project's flag: an NSFW character's pictures
    # are NSFW unless the uploader says otherwise.
    if flag is not None:
        return flag
    return project.nsfw if project is not None else False


async def _store_files(
    storage: Storage, image: GalleryImage, prepared: PreparedImage
) -> None:
    digest = hashlib.sha256(prepared.data).hexdigest()[:24]
    image.image_key = f"gallery/{image.uuid}/{digest}.{prepared.extension}"
    image.preview_key = f"gallery/{image.uuid}/preview.webp"
    await storage.put(image.image_key, prepared.data, prepared.content_type)
    await storage.put(image.preview_key, prepared.preview, "image/webp")


async def list_images(
    session: AsyncSession,
    query: GalleryFilter,
    *,
    page: int,
    limit: int,
    with_count: bool,
) -> ImagePage:
    offset = (page - 1) * limit
    images = await repository.page_of_images(session, query, offset=offset, limit=limit)
    # Compat: without count=true, `count` is the number on this page.
    count = await repository.count_images(session, query) if with_count else len(images)
    return ImagePage(images, count)


async def delete_image(
    session: AsyncSession,
    storage: Storage,
    user: User,
    uuid: UUID,
    project_id: int | None,
) -> None:
    """The uploader deletes the image; the owner of its project, naming the
    project, takes it out of the project's gallery; anyone else gets 403."""
    image = await repository.image_by_uuid(session, uuid)
    if image is None:
        raise ImageNotFound

    if image.uploader_id == user.id:
        await _delete(session, storage, image)
        return
    if project_id is None or image.project_id != project_id:
        raise NotImageOwner
    await get_owned(session, project_id, user)
    image.project_id = None
    await session.flush()
    await repository.refresh_has_gallery(session, {project_id})
    log.info("gallery.dissociated", image_id=image.id, project_id=project_id)


async def _delete(session: AsyncSession, storage: Storage, image: GalleryImage) -> None:
    removed = await repository.delete_images(session, GalleryImage.id == image.id)
    await _forget(session, storage, removed)
    log.info("gallery.deleted", image_id=image.id)


async def forget_user_images(
    session: AsyncSession, storage: Storage, user_id: int
) -> None:
    """Delete a user's uploads, their files after the commit (account deletion)."""
    removed = await repository.delete_images(
        session, GalleryImage.uploader_id == user_id
    )
    await _forget(session, storage, removed)


async def forget_project_images(
    session: AsyncSession, storage: Storage, project: Project
) -> None:
    """Delete the images a project's creator put in its gallery (project
    deletion); other uploaders keep theirs, no longer attached."""
    removed = await repository.delete_images(
        session,
        GalleryImage.project_id == project.id,
        GalleryImage.uploader_id == project.creator_id,
    )
    await _forget(session, storage, removed)


async def _forget(
    session: AsyncSession,
    storage: Storage,
    removed: list[tuple[str, str, int | None]],
) -> None:
    keys = [
        key for image_key, preview_key, _ in removed for key in (image_key, preview_key)
    ]
    await repository.refresh_has_gallery(
        session, {project_id for *_, project_id in removed if project_id is not None}
    )

    async def remove() -> None:
        for key in keys:
            await storage.delete(key)

    if keys:
        after_commit(session, remove)
