"""Merge the search, social, lore and imagine branches

Revision ID: 0007
Revises: 0003, 0004, 0005, 0006
Create Date: 2026-12-03 17:18:37.974422+00:00
"""

from collections.abc import Sequence

revision: str = "0007"
down_revision: str | Sequence[str] | None = ("0003", "0004", "0005", "0006")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
