"""Imagine: the job status as text with a CHECK instead of an enum type

asyncpg looks up the codec of every enum type once per new connection, which
cost each job about 18 ms on the worker's fresh connections.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 19:05:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("queued", "running", "succeeded", "failed")
JOB_STATUS = postgresql.ENUM(*STATUSES, name="imagine_job_status")
ACTIVE = sa.text("status IN ('queued', 'running')")


def upgrade() -> None:
    # The partial index compares with enum literals: it cannot follow the type
    # change, so it is built again over the text column.
    op.drop_index("ix_imagine_jobs_active_deadline", table_name="imagine_jobs")
    op.alter_column(
        "imagine_jobs",
        "status",
        type_=sa.String(length=16),
        postgresql_using="status::text",
    )
    op.create_check_constraint(
        op.f("ck_imagine_jobs_status"),
        "imagine_jobs",
        sa.column("status").in_(STATUSES),
    )
    JOB_STATUS.drop(op.get_bind())
    _create_active_index()


def downgrade() -> None:
    op.drop_index("ix_imagine_jobs_active_deadline", table_name="imagine_jobs")
    op.drop_constraint(op.f("ck_imagine_jobs_status"), "imagine_jobs", type_="check")
    JOB_STATUS.create(op.get_bind())
    op.alter_column(
        "imagine_jobs",
        "status",
        type_=postgresql.ENUM(name="imagine_job_status", create_type=False),
        postgresql_using="status::imagine_job_status",
    )
    _create_active_index()


def _create_active_index() -> None:
    op.create_index(
        "ix_imagine_jobs_active_deadline",
        "imagine_jobs",
        ["deadline"],
        postgresql_where=ACTIVE,
    )
