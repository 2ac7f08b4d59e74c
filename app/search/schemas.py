from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.search.sorts import SortOrder

Count = Annotated[int, Field(ge=0, le=2**53)]


class AccessLevel(StrEnum):
    public = "public"
    private = "private"
    unlisted = "unlisted"
    all = "all"
    true = "true"


class Special(StrEnum):
    newcomer = "newcomer"


class SearchQuery(BaseModel):
    """Every parameter of `GET /search`; unknown parameters are ignored."""

    model_config = ConfigDict(extra="ignore")

    search: Annotated[str, Field(max_length=300)] = ""
    exact_search: Annotated[str, Field(max_length=300)] = ""
    name_like: Annotated[str, Field(max_length=200)] = ""
    first: Annotated[int, Field(ge=1, le=2**31)] = 40
    page: Annotated[int, Field(ge=1, le=100_000)] = 1
    cursor: Annotated[str, Field(max_length=500)] | None = None
    sort: SortOrder | None = None
    asc: bool = False
    count: bool = False

    tags: Annotated[str, Field(max_length=3000)] = ""
    topics: Annotated[str, Field(max_length=3000)] = ""
    exclude_tags: Annotated[str, Field(max_length=3000)] = ""
    excludetopics: Annotated[str, Field(max_length=3000)] = ""
    inclusive_or: bool = False
    min_tags: Count | None = None

    nsfw: bool = False
    nsfl: bool = False
    nsfw_only: bool = False

    min_tokens: Count = 200
    max_tokens: Count | None = None
    min_users_chatted: Count | None = None
    max_messages: Count | None = None
    max_days_ago: Annotated[int, Field(ge=0, le=100_000)] | None = None
    min_ai_rating: Annotated[float, Field(ge=0, le=5)] | None = None

    require_images: bool = False
    require_example_dialogues: bool = False
    require_alternate_greetings: bool = False
    require_custom_prompt: bool = False
    require_expressions: bool = False
    require_lore: bool = False
    require_lore_embedded: bool = False
    require_lore_linked: bool = False

    creator_id: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = None
    username: Annotated[str, Field(max_length=64)] | None = None
    exclude_mine: bool = False
    only_mine: AccessLevel | None = None
    mine_first: bool = False
    my_favorites: bool = False
    include_forks: bool = False
    namespace: Annotated[str, Field(pattern=r"^(characters|lorebooks|\*)$")] = (
        "characters"
    )
    recommended_verified: bool = False
    language: Annotated[str, Field(max_length=16)] | None = None
    special_mode: Special | None = None


class SearchData(BaseModel):
    count: int
    nodes: list[Any]
    page: int
    cursor: str | None
    previous_cursor: str | None


class SearchResponse(BaseModel):
    """The search envelope clients read: `data` plus top-level copies."""

    data: SearchData
    results: list[Any]
    total: int
    page: int
    cursor: str | None


class LegacySearchResponse(BaseModel):
    nodes: list[Any]
    count: int
    page: int
    cursor: str | None


class MiniSearch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    query: Annotated[str, Field(max_length=200)] = ""
    # Not in the hosted schema: as /search's flags, off unless asked for.
    nsfw: bool = False
    nsfl: bool = False


class MiniResult(BaseModel):
    id: int
    name: str
    fullPath: str
    avatar_url: str | None
    projectSpace: str


class MiniSearchResponse(BaseModel):
    results: list[MiniResult]


TagOrder = Literal["count", "name"]


class TagsQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    namespace: Annotated[str, Field(pattern=r"^(characters|lorebooks|\*)$")] = "*"
    search: Annotated[str, Field(max_length=64)] = ""
    nsfw: bool = True
    nsfl: bool = True
    order_by: TagOrder = "count"
    asc: bool = False
    page: Annotated[int, Field(ge=1, le=100_000)] = 1
    first: Annotated[int, Field(ge=1, le=1000)] = 100


class TagRead(BaseModel):
    id: int
    name: str
    title: str
    count: int
    non_private_projects_count: int
    followers_count: int
    is_nsfw: bool
    is_nsfl: bool


class TagsResponse(BaseModel):
    tags: list[TagRead]
    count: int
    page: int
