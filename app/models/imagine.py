import enum
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Enum, ForeignKey, Identity, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class ImagineJob(TimestampMixin, Base):
    """One image generation: the request, its state and its results.

    This row is the truth about a job; queue messages carry only its id.
    """

    __tablename__ = "imagine_jobs"
    # The server's defaults (created_at) come back with the INSERT itself.
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        Index("ix_imagine_jobs_user_created", "user_id", "created_at", "id"),
        Index("ix_imagine_jobs_user_cost", "user_id", "cost", "id"),
        # The reaper scans only jobs that are still in flight.
        Index(
            "ix_imagine_jobs_active_deadline",
            "deadline",
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(Identity(), primary_key=True)
    uuid: Mapped[UUID] = mapped_column(default=uuid4, unique=True)
    generation_uuid: Mapped[UUID] = mapped_column(default=uuid4, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    generation_type: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(16), default="image")
    status: Mapped[JobStatus] = mapped_column(
        # Text with a CHECK, not a PostgreSQL enum: asyncpg would look the
        # enum type up on every new connection.
        Enum(
            JobStatus,
            name="status",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda statuses: [status.value for status in statuses],
        ),
        default=JobStatus.QUEUED,
    )
    backend: Mapped[str] = mapped_column(String(32))
    prompt: Mapped[str] = mapped_column(Text)
    negative_prompt: Mapped[str] = mapped_column(Text, default="")
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Seed, size, steps, guidance, strength, image count and input media keys."""
    cost: Mapped[int]
    media_keys: Mapped[list[str]] = mapped_column(JSONB, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    lease_until: Mapped[datetime | None]
    """While running: the moment after which the claiming worker counts as dead."""
    deadline: Mapped[datetime]
    """The moment after which the reaper fails the job and refunds it."""
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
