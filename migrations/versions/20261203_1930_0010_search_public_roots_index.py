"""Search: a partial index of public root projects, for counts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 19:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Most searches count public roots by kind, flags and size: an index-only
    # scan of this small index instead of a pass over the whole table.
    op.create_index(
        "ix_projects_public_roots",
        "projects",
        ["kind", "nsfw", "nsfl", "n_tokens"],
        postgresql_include=["language"],
        postgresql_where="visibility = 'public' AND forked_from_id IS NULL",
    )


def downgrade() -> None:
    op.drop_index("ix_projects_public_roots", table_name="projects")
