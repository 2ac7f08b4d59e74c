"""Search: an index for the rating sort

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:35:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The rating sort orders unrated projects last through coalesce(..., -1).
    op.create_index(
        "ix_projects_rating",
        "projects",
        [sa.text("coalesce(rating_avg, -1.0::float8) DESC"), sa.text("id DESC")],
    )


def downgrade() -> None:
    op.drop_index("ix_projects_rating", table_name="projects")
