"""Lore: items (lorebook entries, texts) and their embedded passages

The passages' `vector(384)` column has an HNSW index for cosine distance; the
`vector` extension comes from revision 0001.

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-03 16:56:45.923534+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lore_items",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("batch_uuid", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("keys", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("secondary_keys", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("folded_keys", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("selective", sa.Boolean(), nullable=False),
        sa.Column("selective_logic", sa.String(length=8), nullable=False),
        sa.Column("constant", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("case_sensitive", sa.Boolean(), nullable=True),
        sa.Column("use_regex", sa.Boolean(), nullable=False),
        sa.Column("match_whole_words", sa.Boolean(), nullable=True),
        sa.Column("insertion_order", sa.Float(), nullable=False),
        sa.Column("position", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("embedded_model", sa.String(length=300), nullable=True),
        sa.Column("n_passages", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('entry', 'text')", name=op.f("ck_lore_items_kind")
        ),
        sa.CheckConstraint(
            "source IN ('upload', 'card')", name=op.f("ck_lore_items_source")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'ready', 'failed')",
            name=op.f("ck_lore_items_status"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["projects.id"],
            name=op.f("fk_lore_items_owner_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lore_items")),
        sa.UniqueConstraint("uuid", name=op.f("uq_lore_items_uuid")),
    )
    op.create_index(
        op.f("ix_lore_items_batch_uuid"), "lore_items", ["batch_uuid"], unique=False
    )
    op.create_index(
        "ix_lore_items_owner_id_status",
        "lore_items",
        ["owner_id", "status"],
        unique=False,
    )
    op.create_table(
        "lore_passages",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("ordinal", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(length=32), nullable=False),
        sa.Column("embedding", Vector(384), nullable=True),
        sa.Column("model", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["lore_items.id"],
            name=op.f("fk_lore_passages_item_id_lore_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lore_passages")),
        sa.UniqueConstraint("uuid", name=op.f("uq_lore_passages_uuid")),
    )
    op.create_index(
        "ix_lore_passages_embedding_hnsw",
        "lore_passages",
        ["embedding"],
        unique=False,
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.create_index(
        op.f("ix_lore_passages_item_id"), "lore_passages", ["item_id"], unique=False
    )
    op.create_index(
        op.f("ix_lore_passages_owner_id"), "lore_passages", ["owner_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_lore_passages_owner_id"), table_name="lore_passages")
    op.drop_index(op.f("ix_lore_passages_item_id"), table_name="lore_passages")
    op.drop_index(
        "ix_lore_passages_embedding_hnsw",
        table_name="lore_passages",
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.drop_table("lore_passages")
    op.drop_index("ix_lore_items_owner_id_status", table_name="lore_items")
    op.drop_index(op.f("ix_lore_items_batch_uuid"), table_name="lore_items")
    op.drop_table("lore_items")
