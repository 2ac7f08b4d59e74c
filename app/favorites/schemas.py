from datetime import datetime

from pydantic import BaseModel

from app.projects.schemas import ProjectNode


class FavoriteNode(ProjectNode):
    favorited_at: datetime


class FavoriteList(BaseModel):
    nodes: list[FavoriteNode]
    count: int
    page: int
