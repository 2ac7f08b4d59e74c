"""Follows, per-creator leaderboard figures and gallery images

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-03 16:55:11.883412+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The leaderboard's sort columns, each with an index in sort order.
STATS_SORTS = (
    "avg_msgs_chat",
    "n_projects",
    "n_downloads",
    "n_favorites",
    "n_followers",
    "avg_rating",
    "n_chats",
    "n_messages",
    "n_ratings",
)


def _created_at() -> sa.Column[sa.DateTime]:
    return sa.Column(
        "created_at",
        sa.DateTime(timezone=True),
        server_default=sa.text("now()"),
        nullable=False,
    )


def _user_fk(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["users.id"],
        name=op.f(f"fk_{table}_{column}_users"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    _create_user_follows()
    _create_creator_stats()
    _create_gallery_images()
    op.create_index(
        "ix_projects_creator_public_activity",
        "projects",
        [
            "creator_id",
            sa.literal_column("last_activity_at DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
        postgresql_where=sa.text("visibility = 'public'"),
    )


def _create_user_follows() -> None:
    op.create_table(
        "user_follows",
        sa.Column("follower_id", sa.BigInteger(), nullable=False),
        sa.Column("followed_id", sa.BigInteger(), nullable=False),
        _created_at(),
        _user_fk("followed_id", "user_follows"),
        _user_fk("follower_id", "user_follows"),
        sa.PrimaryKeyConstraint(
            "follower_id", "followed_id", name=op.f("pk_user_follows")
        ),
    )
    op.create_index(
        "ix_user_follows_followed_created",
        "user_follows",
        ["followed_id", "created_at"],
        unique=False,
    )


def _create_creator_stats() -> None:
    counters = [
        sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)
        for name in (
            "n_projects",
            "n_downloads",
            "n_favorites",
            "n_followers",
            "n_chats",
            "n_messages",
            "n_ratings",
        )
    ]
    op.create_table(
        "creator_stats",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        *counters,
        sa.Column("avg_msgs_chat", sa.Float(), nullable=True),
        sa.Column("avg_rating", sa.Float(), nullable=True),
        sa.Column(
            "refreshed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        _user_fk("user_id", "creator_stats"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_creator_stats")),
    )
    for column in STATS_SORTS:
        op.create_index(
            f"ix_creator_stats_{column}",
            "creator_stats",
            [sa.literal_column(f"{column} DESC NULLS LAST"), "user_id"],
            unique=False,
        )


def _create_gallery_images() -> None:
    op.create_table(
        "gallery_images",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("uploader_id", sa.BigInteger(), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("nsfw", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("image_key", sa.String(length=300), nullable=False),
        sa.Column("preview_key", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("width", sa.BigInteger(), nullable=False),
        sa.Column("height", sa.BigInteger(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_gallery_images_project_id_projects"),
            ondelete="SET NULL",
        ),
        _user_fk("uploader_id", "gallery_images"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gallery_images")),
        sa.UniqueConstraint("uuid", name=op.f("uq_gallery_images_uuid")),
    )
    op.create_index(
        "ix_gallery_images_created", "gallery_images", ["created_at"], unique=False
    )
    op.create_index(
        "ix_gallery_images_project_created",
        "gallery_images",
        ["project_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_gallery_images_uploader_id"),
        "gallery_images",
        ["uploader_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_projects_creator_public_activity",
        table_name="projects",
        postgresql_where=sa.text("visibility = 'public'"),
    )
    # Dropping a table drops its indexes.
    op.drop_table("gallery_images")
    op.drop_table("creator_stats")
    op.drop_table("user_follows")
