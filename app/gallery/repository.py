"""SQL statements of the gallery."""

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import ColumnElement, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import GalleryImage, Project, User


@dataclass(frozen=True)
class GalleryFilter:
    """Which images a listing shows: one project's, or every public project's."""

    project_id: int | None
    nsfw: bool


def _where(query: GalleryFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.project_id is not None:
        where.append(GalleryImage.project_id == query.project_id)
    else:
        where.append(Project.visibility == "public")
    if not query.nsfw:
        where.append(GalleryImage.nsfw.is_(False))
        where.append(Project.nsfw.is_(False))
    return where


async def page_of_images(
    session: AsyncSession, query: GalleryFilter, *, offset: int, limit: int
) -> list[tuple[GalleryImage, str]]:
    """Images with their uploaders' names, newest first."""
    stmt = (
        select(GalleryImage, User.username)
        .join(Project, Project.id == GalleryImage.project_id)
        .join(User, User.id == GalleryImage.uploader_id)
        .where(*_where(query))
        .order_by(GalleryImage.created_at.desc(), GalleryImage.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in await session.execute(stmt)]


async def count_images(session: AsyncSession, query: GalleryFilter) -> int:
    stmt = (
        select(func.count())
        .select_from(GalleryImage)
        .join(Project, Project.id == GalleryImage.project_id)
        .where(*_where(query))
    )
    return (await session.execute(stmt)).scalar_one()


async def image_by_uuid(session: AsyncSession, uuid: UUID) -> GalleryImage | None:
    stmt = select(GalleryImage).where(GalleryImage.uuid == uuid)
    return (await session.execute(stmt)).scalar_one_or_none()


async def delete_images(
    session: AsyncSession, *where: ColumnElement[bool]
) -> list[tuple[str, str, int | None]]:
    """Delete matching images; their file keys and projects come back."""
    stmt = (
        delete(GalleryImage)
        .where(*where)
        .returning(
            GalleryImage.image_key, GalleryImage.preview_key, GalleryImage.project_id
        )
    )
    return [(row[0], row[1], row[2]) for row in await session.execute(stmt)]


async def refresh_has_gallery(session: AsyncSession, project_ids: set[int]) -> None:
    """Set `has_gallery` of these projects from their images, in one statement."""
    if not project_ids:
        return
    has_images = exists().where(GalleryImage.project_id == Project.id)
    await session.execute(
        update(Project)
        .where(Project.id.in_(project_ids))
        .values(has_gallery=has_images)
        .execution_options(synchronize_session="fetch")
    )
