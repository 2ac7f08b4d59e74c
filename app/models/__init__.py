"""Every table, imported in one place so that Alembic and mappers see them all."""

from app.models.base import Base
from app.models.config import UserConfig
from app.models.gallery import GalleryImage
from app.models.imagine import ImagineJob, JobStatus
from app.models.lore import LoreItem, LorePassage
from app.models.project import (
    Favorite,
    LorebookLink,
    Project,
    ProjectDailyStats,
    ProjectTag,
    ProjectVersion,
    Rating,
    Tag,
    TagCount,
)
from app.models.social import CreatorStats, UserFollow
from app.models.user import ApiKey, BlacklistWord, TagBlock, TagFollow, User, UserBlock

__all__ = [
    "ApiKey",
    "Base",
    "BlacklistWord",
    "CreatorStats",
    "Favorite",
    "GalleryImage",
    "ImagineJob",
    "JobStatus",
    "LoreItem",
    "LorePassage",
    "LorebookLink",
    "Project",
    "ProjectDailyStats",
    "ProjectTag",
    "ProjectVersion",
    "Rating",
    "Tag",
    "TagCount",
    "TagBlock",
    "TagFollow",
    "User",
    "UserBlock",
    "UserConfig",
    "UserFollow",
]
