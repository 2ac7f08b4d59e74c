from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base

EMBEDDING_DIMENSIONS = 384


class LoreItem(Base):
    """A lorebook entry or a text, owned by a character or lorebook project.

    `source` is `upload` for items sent to /lore/item and `card` for the
    entries of the owner's own lorebook, which are rebuilt whenever the
    project's definition changes. An item is visible to queries once `status`
    is `ready`, and to semantic queries once `embedded_model` is the model in
    use: both change in the transaction that writes its last vector, so a
    query never sees part of an item.
    """

    __tablename__ = "lore_items"
    __table_args__ = (
        Index("ix_lore_items_owner_id_status", "owner_id", "status"),
        CheckConstraint("status IN ('pending', 'ready', 'failed')", name="status"),
        CheckConstraint("kind IN ('entry', 'text')", name="kind"),
        CheckConstraint("source IN ('upload', 'card')", name="source"),
    )

    id: Mapped[int] = mapped_column(Identity(), primary_key=True)
    uuid: Mapped[UUID] = mapped_column(default=uuid4, unique=True)
    # The upload this item came from; a text's batch is the item itself.
    batch_uuid: Mapped[UUID] = mapped_column(index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text)

    keys: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    secondary_keys: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    # Case-folded plain primary keys: a cheap SQL pre-filter before the rules.
    folded_keys: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    selective: Mapped[bool] = mapped_column(default=False)
    selective_logic: Mapped[str] = mapped_column(String(8), default="and_any")
    constant: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)
    case_sensitive: Mapped[bool | None]
    use_regex: Mapped[bool] = mapped_column(default=False)
    match_whole_words: Mapped[bool | None]
    insertion_order: Mapped[float] = mapped_column(Float, default=100.0)
    position: Mapped[Any] = mapped_column(JSON, nullable=True)

    status: Mapped[str] = mapped_column(String(8), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    embedded_model: Mapped[str | None] = mapped_column(String(300))
    n_passages: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class LorePassage(Base):
    """A piece of an item that is embedded on its own, with the model's name."""

    __tablename__ = "lore_passages"
    __table_args__ = (
        Index(
            "ix_lore_passages_embedding_hnsw",
            "embedding",
            postgresql_using="hnsw",
            postgresql_with={"m": 16, "ef_construction": 64},
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(Identity(), primary_key=True)
    uuid: Mapped[UUID] = mapped_column(default=uuid4, unique=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("lore_items.id", ondelete="CASCADE"), index=True
    )
    # Copied from the item so that the vector search filters without a join.
    owner_id: Mapped[int] = mapped_column(index=True)
    ordinal: Mapped[int] = mapped_column(default=0)
    content: Mapped[str] = mapped_column(Text)
    # Of the text that is embedded, to reuse vectors when a card is rewritten.
    text_hash: Mapped[str] = mapped_column(String(32))
    embedding: Mapped[Any] = mapped_column(Vector(EMBEDDING_DIMENSIONS), nullable=True)
    model: Mapped[str | None] = mapped_column(String(300))
