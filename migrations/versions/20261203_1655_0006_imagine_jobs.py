"""Imagine: image generation jobs, their state, results and deadlines

Revision ID: 0006
Revises: 0002
Create Date: 2026-12-03 16:55:39.533898+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


JOB_STATUS = postgresql.ENUM(
    "queued", "running", "succeeded", "failed", name="imagine_job_status"
)


def upgrade() -> None:
    JOB_STATUS.create(op.get_bind())
    op.create_table(
        "imagine_jobs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("generation_uuid", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("generation_type", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            postgresql.ENUM(name="imagine_job_status", create_type=False),
            nullable=False,
        ),
        sa.Column("backend", sa.String(length=32), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("negative_prompt", sa.Text(), nullable=False),
        sa.Column(
            "parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=False
        ),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column(
            "media_keys", postgresql.JSONB(astext_type=sa.Text()), nullable=False
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_imagine_jobs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imagine_jobs")),
        sa.UniqueConstraint("uuid", name=op.f("uq_imagine_jobs_uuid")),
    )
    op.create_index(
        "ix_imagine_jobs_active_deadline",
        "imagine_jobs",
        ["deadline"],
        unique=False,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.create_index(
        op.f("ix_imagine_jobs_generation_uuid"),
        "imagine_jobs",
        ["generation_uuid"],
        unique=False,
    )
    op.create_index(
        "ix_imagine_jobs_user_cost",
        "imagine_jobs",
        ["user_id", "cost", "id"],
        unique=False,
    )
    op.create_index(
        "ix_imagine_jobs_user_created",
        "imagine_jobs",
        ["user_id", "created_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_imagine_jobs_user_created", table_name="imagine_jobs")
    op.drop_index("ix_imagine_jobs_user_cost", table_name="imagine_jobs")
    op.drop_index(op.f("ix_imagine_jobs_generation_uuid"), table_name="imagine_jobs")
    op.drop_index(
        "ix_imagine_jobs_active_deadline",
        table_name="imagine_jobs",
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.drop_table("imagine_jobs")
    JOB_STATUS.drop(op.get_bind())
