"""Search: the ranking vector kept in the row

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 20:25:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Ranking reads rank_vector for every match of a text search. With the
    # table's small toast_tuple_target it went to TOAST (several page reads a
    # row); MAIN keeps it compressed in the row unless the row nears a page.
    # Rows written before this keep their vector in TOAST until rewritten.
    op.execute("ALTER TABLE projects ALTER COLUMN rank_vector SET STORAGE MAIN")


def downgrade() -> None:
    op.execute("ALTER TABLE projects ALTER COLUMN rank_vector SET STORAGE EXTENDED")
