"""The sort orders of the search, as real clients send them."""

from enum import StrEnum


class SortOrder(StrEnum):
    default = "default"
    trending = "trending"
    trending_downloads = "trending_downloads"
    download_count = "download_count"
    star_count = "star_count"
    rating = "rating"
    rating_count = "rating_count"
    n_favorites = "n_favorites"
    name = "name"
    id = "id"
    created_at = "created_at"
    last_activity_at = "last_activity_at"
    n_tokens = "n_tokens"
    random = "random"
    new = "new"
