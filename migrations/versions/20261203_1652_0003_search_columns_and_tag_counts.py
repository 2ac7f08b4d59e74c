"""Search: text vectors, tag arrays, rating average, trending score, tag counts

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 16:52:20.349567+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES: dict[str, tuple[str, list[sa.TextClause | str]]] = {
    "ix_projects_search_vector": ("gin", ["search_vector"]),
    "ix_projects_tag_keys": ("gin", ["tag_keys"]),
    "ix_projects_name_trgm": ("gin", [sa.text("lower(name) gin_trgm_ops")]),
    "ix_projects_name_prefix": ("btree", [sa.text("lower(name) text_pattern_ops")]),
    "ix_projects_downloads": (
        "btree",
        [sa.text("n_downloads DESC"), sa.text("id DESC")],
    ),
    "ix_projects_created": ("btree", [sa.text("created_at DESC"), sa.text("id DESC")]),
    "ix_projects_activity": (
        "btree",
        [sa.text("last_activity_at DESC"), sa.text("id DESC")],
    ),
    "ix_projects_trending": (
        "btree",
        [sa.text("trending_score DESC"), sa.text("id DESC")],
    ),
    "ix_projects_favorites": (
        "btree",
        [sa.text("n_favorites DESC"), sa.text("id DESC")],
    ),
}


def upgrade() -> None:
    op.create_table(
        "tag_counts",
        sa.Column("tag_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("nsfw", sa.Boolean(), nullable=False),
        sa.Column("nsfl", sa.Boolean(), nullable=False),
        sa.Column("n_projects", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["tags.id"],
            name=op.f("fk_tag_counts_tag_id_tags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tag_id", "kind", "nsfw", "nsfl", name=op.f("pk_tag_counts")
        ),
    )
    op.add_column(
        "projects", sa.Column("definition_tsv", postgresql.TSVECTOR(), nullable=True)
    )
    op.add_column(
        "projects",
        sa.Column(
            "rank_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A') || setweight(to_tsvector('english'::regconfig, coalesce(tagline, '')), 'B') || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')",  # noqa: E501
                persisted=True,
            ),
            nullable=False,
        ),
    )
    op.add_column(
        "projects",
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A') || setweight(to_tsvector('english'::regconfig, coalesce(tagline, '')), 'B') || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C') || coalesce(definition_tsv, ''::tsvector)",  # noqa: E501
                persisted=True,
            ),
            nullable=False,
        ),
    )
    op.add_column(
        "projects",
        sa.Column(
            "tag_keys",
            sa.ARRAY(sa.String(length=64)),
            server_default="{}",
            nullable=False,
        ),
    )
    op.add_column(
        "projects",
        sa.Column(
            "rating_avg",
            sa.Float(),
            sa.Computed(
                "CASE WHEN n_ratings > 0 THEN rating_sum::float8 / n_ratings END",
                persisted=True,
            ),
            nullable=True,
        ),
    )
    op.add_column(
        "projects",
        sa.Column("trending_score", sa.Float(), server_default="0", nullable=False),
    )
    op.add_column(
        "projects",
        sa.Column(
            "has_lore_linked", sa.Boolean(), server_default="false", nullable=False
        ),
    )
    # Keep rows narrow: definitions and text vectors go to TOAST storage, so
    # that scans and sorts over the catalogue read small heap tuples.
    op.execute("ALTER TABLE projects SET (toast_tuple_target = 512)")
    _backfill()
    for name, (using, columns) in INDEXES.items():
        op.create_index(name, "projects", columns, postgresql_using=using)


def _backfill() -> None:
    op.execute(
        """
        UPDATE projects SET
          tag_keys = ARRAY(
            SELECT t.key FROM project_tags pt JOIN tags t ON t.id = pt.tag_id
            WHERE pt.project_id = projects.id ORDER BY t.key
          ),
          -- Rows written before this revision: the JSON text stands in for
          -- the definition's words until the next write replaces it.
          definition_tsv = setweight(
            to_tsvector('english'::regconfig, left(definition::text, 200000)), 'D'
          )
        """
    )


def downgrade() -> None:
    op.execute("ALTER TABLE projects RESET (toast_tuple_target)")
    for name in INDEXES:
        op.drop_index(name, table_name="projects")
    op.drop_column("projects", "has_lore_linked")
    op.drop_column("projects", "trending_score")
    op.drop_column("projects", "rating_avg")
    op.drop_column("projects", "tag_keys")
    op.drop_column("projects", "search_vector")
    op.drop_column("projects", "rank_vector")
    op.drop_column("projects", "definition_tsv")
    op.drop_table("tag_counts")
