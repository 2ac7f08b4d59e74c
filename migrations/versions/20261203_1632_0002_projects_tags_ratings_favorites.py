"""Projects (characters and lorebooks), versions, links, tags, ratings, favorites

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 16:32:38.940145+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("key", name=op.f("uq_tags_key")),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("creator_id", sa.BigInteger(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("tagline", sa.Text(), server_default="", nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("source_format", sa.String(length=20), nullable=False),
        sa.Column("version_sha", sa.String(length=40), nullable=False),
        sa.Column(
            "version_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("nsfw", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("nsfl", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("avatar_key", sa.String(length=300), nullable=True),
        sa.Column("card_key", sa.String(length=300), nullable=True),
        sa.Column("n_downloads", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("n_favorites", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("n_chats", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("n_messages", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("n_ratings", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rating_sum", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("n_forks", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("n_tokens", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("forked_from_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "ratings_disabled", sa.Boolean(), server_default="false", nullable=False
        ),
        sa.Column("verified", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("recommended", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "has_lore_embedded", sa.Boolean(), server_default="false", nullable=False
        ),
        sa.Column(
            "has_example_dialogues",
            sa.Boolean(),
            server_default="false",
            nullable=False,
        ),
        sa.Column(
            "has_alternate_greetings",
            sa.Boolean(),
            server_default="false",
            nullable=False,
        ),
        sa.Column(
            "has_custom_prompt", sa.Boolean(), server_default="false", nullable=False
        ),
        sa.Column(
            "has_expressions", sa.Boolean(), server_default="false", nullable=False
        ),
        sa.Column("has_gallery", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column(
            "last_activity_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
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
        sa.CheckConstraint(
            "kind IN ('characters', 'lorebooks')", name=op.f("ck_projects_kind")
        ),
        sa.CheckConstraint(
            "visibility IN ('public', 'unlisted', 'private')",
            name=op.f("ck_projects_visibility"),
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["users.id"],
            name=op.f("fk_projects_creator_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["forked_from_id"],
            ["projects.id"],
            name=op.f("fk_projects_forked_from_id_projects"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("uuid", name=op.f("uq_projects_uuid")),
    )
    op.create_index(
        op.f("ix_projects_creator_id"), "projects", ["creator_id"], unique=False
    )
    op.create_index(
        op.f("ix_projects_forked_from_id"), "projects", ["forked_from_id"], unique=False
    )
    op.create_index(
        "uq_projects_creator_kind_slug",
        "projects",
        ["creator_id", "kind", "slug"],
        unique=True,
    )
    op.create_table(
        "favorites",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_favorites_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_favorites_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "project_id", name=op.f("pk_favorites")),
    )
    op.create_index(
        op.f("ix_favorites_project_id"), "favorites", ["project_id"], unique=False
    )
    op.create_table(
        "lorebook_links",
        sa.Column("character_id", sa.BigInteger(), nullable=False),
        sa.Column("lorebook_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["character_id"],
            ["projects.id"],
            name=op.f("fk_lorebook_links_character_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lorebook_id"],
            ["projects.id"],
            name=op.f("fk_lorebook_links_lorebook_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "character_id", "lorebook_id", name=op.f("pk_lorebook_links")
        ),
    )
    op.create_index(
        op.f("ix_lorebook_links_lorebook_id"),
        "lorebook_links",
        ["lorebook_id"],
        unique=False,
    )
    op.create_table(
        "project_daily_stats",
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("downloads", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("favorites", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_daily_stats_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "project_id", "day", name=op.f("pk_project_daily_stats")
        ),
    )
    op.create_table(
        "project_tags",
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("tag_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_tags_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["tags.id"],
            name=op.f("fk_project_tags_tag_id_tags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "tag_id", name=op.f("pk_project_tags")),
    )
    op.create_index(
        op.f("ix_project_tags_tag_id"), "project_tags", ["tag_id"], unique=False
    )
    op.create_table(
        "project_versions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("sha", sa.String(length=40), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("source_format", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_versions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_versions")),
    )
    op.create_index(
        op.f("ix_project_versions_project_id"),
        "project_versions",
        ["project_id"],
        unique=False,
    )
    op.create_table(
        "ratings",
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
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
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_ratings_range")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_ratings_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_ratings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "user_id", name=op.f("pk_ratings")),
    )
    op.create_index(op.f("ix_ratings_user_id"), "ratings", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ratings_user_id"), table_name="ratings")
    op.drop_table("ratings")
    op.drop_index(op.f("ix_project_versions_project_id"), table_name="project_versions")
    op.drop_table("project_versions")
    op.drop_index(op.f("ix_project_tags_tag_id"), table_name="project_tags")
    op.drop_table("project_tags")
    op.drop_table("project_daily_stats")
    op.drop_index(op.f("ix_lorebook_links_lorebook_id"), table_name="lorebook_links")
    op.drop_table("lorebook_links")
    op.drop_index(op.f("ix_favorites_project_id"), table_name="favorites")
    op.drop_table("favorites")
    op.drop_index("uq_projects_creator_kind_slug", table_name="projects")
    op.drop_index(op.f("ix_projects_forked_from_id"), table_name="projects")
    op.drop_index(op.f("ix_projects_creator_id"), table_name="projects")
    op.drop_table("projects")
    op.drop_table("tags")
