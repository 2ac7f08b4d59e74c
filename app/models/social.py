from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.models.project import Project


class UserFollow(Base):
    """A user following another user's new and updated projects."""

    __tablename__ = "user_follows"
    __table_args__ = (
        # Who follows a user, newest first, without a sort.
        Index("ix_user_follows_followed_created", "followed_id", "created_at"),
    )

    follower_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    followed_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CreatorStats(Base):
    """Per-creator figures of the leaderboard, over public projects only.

    Rebuilt from `projects` and `user_follows` by a periodic job, so that a
    leaderboard read sorts a few thousand creators rather than aggregating the
    whole catalogue.
    """

    __tablename__ = "creator_stats"
    __table_args__ = tuple(
        Index(
            f"ix_creator_stats_{column}", text(f"{column} DESC NULLS LAST"), "user_id"
        )
        for column in (
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
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    n_projects: Mapped[int] = mapped_column(default=0, server_default="0")
    n_downloads: Mapped[int] = mapped_column(default=0, server_default="0")
    n_favorites: Mapped[int] = mapped_column(default=0, server_default="0")
    n_followers: Mapped[int] = mapped_column(default=0, server_default="0")
    n_chats: Mapped[int] = mapped_column(default=0, server_default="0")
    n_messages: Mapped[int] = mapped_column(default=0, server_default="0")
    n_ratings: Mapped[int] = mapped_column(default=0, server_default="0")
    # NULL when undefined (no chats, no ratings), so that such creators sort last.
    avg_msgs_chat: Mapped[float | None] = mapped_column(Float)
    avg_rating: Mapped[float | None] = mapped_column(Float)
    refreshed_at: Mapped[datetime] = mapped_column(server_default=func.now())


# The timeline and profiles list a creator's public projects by activity; the
# index sits here, beside its readers' tables, rather than in the projects model.
Index(
    "ix_projects_creator_public_activity",
    Project.creator_id,
    Project.last_activity_at.desc(),
    Project.id.desc(),
    postgresql_where=Project.visibility == "public",
)
