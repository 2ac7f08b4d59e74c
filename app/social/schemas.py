from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from app.projects.schemas import ProjectNode


class UserNode(BaseModel):
    """A user in follow lists."""

    id: int
    username: str
    user_name: str
    name: str | None
    avatar_url: str | None
    bio: str
    followed_at: datetime


class ProfileProjects(BaseModel):
    nodes: list[ProjectNode]
    count: int = Field(description="All of the user's projects the caller may see.")
    page: int


class UserProfile(BaseModel):
    """A user's public profile."""

    id: int
    username: str
    user_name: str
    name: str | None
    avatar_url: str | None
    bio: str
    created_at: datetime
    n_followers: int
    n_following: int
    follower_count: int
    following_count: int
    is_followed: bool = Field(description="Whether the caller follows this user.")
    projects: ProfileProjects | None = Field(
        description="Null unless include_projects is true."
    )


class FollowsPage(BaseModel):
    """FollowsObject: whom a user follows."""

    follows: list[UserNode]
    nodes: list[UserNode]
    total: int
    count: int
    page: int


class FollowersPage(BaseModel):
    """Who follows a user."""

    followers: list[UserNode]
    nodes: list[UserNode]
    total: int
    count: int
    page: int


class TimelinePage(BaseModel):
    items: list[ProjectNode]
    nodes: list[ProjectNode] = Field(description="The same list as `items`.")
    total: int = Field(description="All matches with count=true, else this page's.")
    count: int
    page: int
    cursor: str | None = Field(
        description="Continues after this page; null at the end."
    )
    previous_cursor: str | None = None


class LeaderSortEnum(StrEnum):
    avg_msgs_chat = "avg_msgs_chat"
    n_projects = "n_projects"
    n_downloads = "n_downloads"
    n_favorites = "n_favorites"
    n_followers = "n_followers"
    avg_rating = "avg_rating"
    n_chats = "n_chats"
    n_messages = "n_messages"
    n_ratings = "n_ratings"


class Leader(BaseModel):
    rank: int
    id: int
    username: str
    user_name: str
    name: str | None
    avatar_url: str | None
    n_projects: int
    n_downloads: int
    n_favorites: int
    n_followers: int
    n_chats: int
    n_messages: int
    n_ratings: int
    avg_msgs_chat: float | None
    avg_rating: float | None


class LeaderResults(BaseModel):
    """LeaderResults: creators ranked by `order_by` over their public projects."""

    leaders: list[Leader]
    order_by: LeaderSortEnum
    page: int
    refreshed_at: datetime | None = Field(
        description="When the figures were last computed."
    )
