from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Computed,
    Float,
    ForeignKey,
    Identity,
    Index,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin

_ENGLISH = "'english'::regconfig"


class Project(TimestampMixin, Base):
    """A character or a lorebook, with its current definition.

    The definition is the card object as it was imported (V1/V2/V3 JSON, a
    lorebook) or as the hub last wrote it, stored as `json` rather than `jsonb`
    so that key order and number spelling come back as they went in.
    """

    __tablename__ = "projects"
    __table_args__ = (
        Index(
            "uq_projects_creator_kind_slug", "creator_id", "kind", "slug", unique=True
        ),
        CheckConstraint("kind IN ('characters', 'lorebooks')", name="kind"),
        CheckConstraint(
            "visibility IN ('public', 'unlisted', 'private')", name="visibility"
        ),
        # Search: full text, tag arrays, names (fuzzy and prefix), sort orders.
        Index("ix_projects_search_vector", "search_vector", postgresql_using="gin"),
        Index("ix_projects_tag_keys", "tag_keys", postgresql_using="gin"),
        Index(
            "ix_projects_name_trgm",
            text("lower(name) gin_trgm_ops"),
            postgresql_using="gin",
        ),
        Index("ix_projects_name_prefix", text("lower(name) text_pattern_ops")),
        Index("ix_projects_downloads", text("n_downloads DESC"), text("id DESC")),
        Index("ix_projects_created", text("created_at DESC"), text("id DESC")),
        Index("ix_projects_activity", text("last_activity_at DESC"), text("id DESC")),
        Index("ix_projects_trending", text("trending_score DESC"), text("id DESC")),
        Index("ix_projects_favorites", text("n_favorites DESC"), text("id DESC")),
        Index(
            "ix_projects_rating",
            text("coalesce(rating_avg, -1.0::float8) DESC"),
            text("id DESC"),
        ),
        Index(
            "ix_projects_public_roots",
            "kind",
            "nsfw",
            "nsfl",
            "n_tokens",
            postgresql_include=["language"],
            postgresql_where=text("visibility = 'public' AND forked_from_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Identity(), primary_key=True)
    uuid: Mapped[UUID] = mapped_column(default=uuid4, unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    creator_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(500))
    tagline: Mapped[str] = mapped_column(Text, default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")

    definition: Mapped[Any] = mapped_column(JSON)
    source_format: Mapped[str] = mapped_column(String(20))
    version_sha: Mapped[str] = mapped_column(String(40))
    version_at: Mapped[datetime] = mapped_column(server_default=func.now())

    visibility: Mapped[str] = mapped_column(String(10), default="public")
    nsfw: Mapped[bool] = mapped_column(default=False, server_default="false")
    nsfl: Mapped[bool] = mapped_column(default=False, server_default="false")
    avatar_key: Mapped[str | None] = mapped_column(String(300))
    card_key: Mapped[str | None] = mapped_column(String(300))

    n_downloads: Mapped[int] = mapped_column(default=0, server_default="0")
    n_favorites: Mapped[int] = mapped_column(default=0, server_default="0")
    n_chats: Mapped[int] = mapped_column(default=0, server_default="0")
    n_messages: Mapped[int] = mapped_column(default=0, server_default="0")
    n_ratings: Mapped[int] = mapped_column(default=0, server_default="0")
    rating_sum: Mapped[int] = mapped_column(default=0, server_default="0")
    n_forks: Mapped[int] = mapped_column(default=0, server_default="0")
    n_tokens: Mapped[int] = mapped_column(default=0, server_default="0")

    forked_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    ratings_disabled: Mapped[bool] = mapped_column(
        default=False, server_default="false"
    )
    verified: Mapped[bool] = mapped_column(default=False, server_default="false")
    recommended: Mapped[bool] = mapped_column(default=False, server_default="false")

    # Derived from the definition at every write, for the search filters.
    has_lore_embedded: Mapped[bool] = mapped_column(
        default=False, server_default="false"
    )
    has_example_dialogues: Mapped[bool] = mapped_column(
        default=False, server_default="false"
    )
    has_alternate_greetings: Mapped[bool] = mapped_column(
        default=False, server_default="false"
    )
    has_custom_prompt: Mapped[bool] = mapped_column(
        default=False, server_default="false"
    )
    has_expressions: Mapped[bool] = mapped_column(default=False, server_default="false")
    has_gallery: Mapped[bool] = mapped_column(default=False, server_default="false")
    language: Mapped[str | None] = mapped_column(String(8))

    last_activity_at: Mapped[datetime] = mapped_column(server_default=func.now())

    # Search: the definition's words (weight D) are set at each definition write;
    # the whole vector follows name, tagline and description by itself. The
    # vectors are for SQL alone: deferred, never loaded with a project.
    definition_tsv: Mapped[Any | None] = mapped_column(TSVECTOR, deferred=True)
    # Name, tagline and description: small, so ranking reads little.
    rank_vector: Mapped[Any] = mapped_column(
        TSVECTOR,
        Computed(
            " || ".join(
                f"setweight(to_tsvector({_ENGLISH}, coalesce({c}, '')), '{w}')"
                for c, w in (("name", "A"), ("tagline", "B"), ("description", "C"))
            ),
            persisted=True,
        ),
        deferred=True,
    )
    search_vector: Mapped[Any] = mapped_column(
        TSVECTOR,
        Computed(
            " || ".join(
                f"setweight(to_tsvector({_ENGLISH}, coalesce({c}, '')), '{w}')"
                for c, w in (("name", "A"), ("tagline", "B"), ("description", "C"))
            )
            + " || coalesce(definition_tsv, ''::tsvector)",
            persisted=True,
        ),
        deferred=True,
    )
    # Lower-cased tag names, kept beside project_tags for array filters.
    tag_keys: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), default=list, server_default="{}"
    )
    rating_avg: Mapped[float | None] = mapped_column(
        Float,
        Computed(
            "CASE WHEN n_ratings > 0 THEN rating_sum::float8 / n_ratings END",
            persisted=True,
        ),
    )
    trending_score: Mapped[float] = mapped_column(
        Float, default=0.0, server_default="0"
    )
    has_lore_linked: Mapped[bool] = mapped_column(default=False, server_default="false")


class ProjectVersion(Base):
    """A previous definition of a project, kept when a new one replaces it."""

    __tablename__ = "project_versions"

    id: Mapped[int] = mapped_column(Identity(), primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    sha: Mapped[str] = mapped_column(String(40))
    definition: Mapped[Any] = mapped_column(JSON)
    source_format: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]


class LorebookLink(Base):
    """A lorebook linked to a character."""

    __tablename__ = "lorebook_links"

    character_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    lorebook_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class TagCount(Base):
    """How many public projects carry a tag, for each choice of the tag list's
    filters: a namespace (`*` for all) and whether NSFW and NSFL projects count.

    Refreshed by a periodic job; a page of the tag list is then an index scan
    on (namespace, with_nsfw, with_nsfl, n_projects) instead of a count.
    """

    __tablename__ = "tag_counts"

    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
    )
    namespace: Mapped[str] = mapped_column(String(16), primary_key=True)
    with_nsfw: Mapped[bool] = mapped_column(primary_key=True)
    with_nsfl: Mapped[bool] = mapped_column(primary_key=True)
    n_projects: Mapped[int]
    # Of those, how many are NSFW and NSFL (a tag's flags are its majority's).
    n_nsfw: Mapped[int]
    n_nsfl: Mapped[int]

    __table_args__ = (
        Index(
            "ix_tag_counts_listing",
            "namespace",
            "with_nsfw",
            "with_nsfl",
            "n_projects",
            "tag_id",
        ),
    )


class ProjectTag(Base):
    __tablename__ = "project_tags"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Rating(Base):
    __tablename__ = "ratings"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="range"),)

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), onupdate=func.now()
    )


class Favorite(Base):
    __tablename__ = "favorites"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ProjectDailyStats(Base):
    """Downloads and favorites per project and day, for trending sorts."""

    __tablename__ = "project_daily_stats"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    downloads: Mapped[int] = mapped_column(default=0, server_default="0")
    favorites: Mapped[int] = mapped_column(default=0, server_default="0")
