"""Tags: counts kept for every choice of the tag list's filters

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 09:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The counts are derived data (a periodic job rewrites them): both directions
# recreate the table and fill it from the catalogue as it stands.
FILL_BY_LISTING = """
    WITH base AS (
        SELECT pt.tag_id, p.kind, p.nsfw, p.nsfl, count(*) AS n
        FROM project_tags pt JOIN projects p ON p.id = pt.project_id
        WHERE p.visibility = 'public'
        GROUP BY pt.tag_id, p.kind, p.nsfw, p.nsfl
    )
    INSERT INTO tag_counts
        (tag_id, namespace, with_nsfw, with_nsfl, n_projects, n_nsfw, n_nsfl)
    SELECT b.tag_id, ns.namespace, f.with_nsfw, f.with_nsfl, sum(b.n),
           coalesce(sum(b.n) FILTER (WHERE b.nsfw), 0),
           coalesce(sum(b.n) FILTER (WHERE b.nsfl), 0)
    FROM base b
    JOIN (VALUES ('*'), ('characters'), ('lorebooks')) AS ns (namespace)
      ON ns.namespace IN ('*', b.kind)
    JOIN (VALUES (true, true), (true, false), (false, true), (false, false))
      AS f (with_nsfw, with_nsfl)
      ON (f.with_nsfw OR NOT b.nsfw) AND (f.with_nsfl OR NOT b.nsfl)
    GROUP BY b.tag_id, ns.namespace, f.with_nsfw, f.with_nsfl
"""
FILL_BY_FLAGS = """
    INSERT INTO tag_counts (tag_id, kind, nsfw, nsfl, n_projects)
    SELECT pt.tag_id, p.kind, p.nsfw, p.nsfl, count(*)
    FROM project_tags pt JOIN projects p ON p.id = pt.project_id
    WHERE p.visibility = 'public'
    GROUP BY pt.tag_id, p.kind, p.nsfw, p.nsfl
"""


def _foreign_key() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tag_id"],
        ["tags.id"],
        name=op.f("fk_tag_counts_tag_id_tags"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.drop_table("tag_counts")
    op.create_table(
        "tag_counts",
        sa.Column("tag_id", sa.BigInteger(), nullable=False),
        sa.Column("namespace", sa.String(length=16), nullable=False),
        sa.Column("with_nsfw", sa.Boolean(), nullable=False),
        sa.Column("with_nsfl", sa.Boolean(), nullable=False),
        sa.Column("n_projects", sa.BigInteger(), nullable=False),
        sa.Column("n_nsfw", sa.BigInteger(), nullable=False),
        sa.Column("n_nsfl", sa.BigInteger(), nullable=False),
        _foreign_key(),
        sa.PrimaryKeyConstraint(
            "tag_id", "namespace", "with_nsfw", "with_nsfl", name=op.f("pk_tag_counts")
        ),
    )
    op.create_index(
        "ix_tag_counts_listing",
        "tag_counts",
        ["namespace", "with_nsfw", "with_nsfl", "n_projects", "tag_id"],
    )
    op.execute(FILL_BY_LISTING)


def downgrade() -> None:
    op.drop_table("tag_counts")
    op.create_table(
        "tag_counts",
        sa.Column("tag_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("nsfw", sa.Boolean(), nullable=False),
        sa.Column("nsfl", sa.Boolean(), nullable=False),
        sa.Column("n_projects", sa.BigInteger(), nullable=False),
        _foreign_key(),
        sa.PrimaryKeyConstraint(
            "tag_id", "kind", "nsfw", "nsfl", name=op.f("pk_tag_counts")
        ),
    )
    op.execute(FILL_BY_FLAGS)
