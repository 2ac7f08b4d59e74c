from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, Identity, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class GalleryImage(Base):
    """An uploaded image: the uploader's, and shown in a project's gallery
    while `project_id` is set."""

    __tablename__ = "gallery_images"
    __table_args__ = (
        Index("ix_gallery_images_project_created", "project_id", "created_at"),
        Index("ix_gallery_images_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(Identity(), primary_key=True)
    uuid: Mapped[UUID] = mapped_column(default=uuid4, unique=True)
    uploader_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL")
    )
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    nsfw: Mapped[bool] = mapped_column(default=False, server_default="false")
    image_key: Mapped[str] = mapped_column(String(300))
    preview_key: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(50))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
