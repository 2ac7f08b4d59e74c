"""Sort orders and the cursors that continue them.

A keyset cursor holds the sort value and id of the last row returned, so the
next page starts right after it however the catalogue changed meanwhile. The
random order and `mine_first` continue by offset instead.
"""

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    cast,
    func,
    literal_column,
    or_,
    select,
    tuple_,
)

from app.errors import AppError
from app.kit.cursor import decode_cursor, encode_cursor
from app.models import Favorite, Project, User
from app.search.filters import text_query
from app.search.schemas import SearchQuery, Special
from app.search.sorts import SortOrder


class InvalidCursor(AppError):
    status_code = 400

    def __init__(self) -> None:
        super().__init__("The cursor is not one this search gave out.")


@dataclass(frozen=True)
class Cursor:
    kind: str  # "key" or "offset"
    value: Any = None
    id: int = 0
    offset: int = 0
    seed: str = ""

    def encode(self) -> str:
        return encode_cursor([self.kind, self.value, self.id, self.offset, self.seed])

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        try:
            fields = decode_cursor(text)
        except ValueError:
            raise InvalidCursor from None
        if not _well_formed(fields):
            raise InvalidCursor
        return cls(*fields)


def _well_formed(fields: object) -> bool:
    if not isinstance(fields, list) or len(fields) != 5:
        return False
    kind, value, id_, offset, seed = fields
    return (
        kind in ("key", "offset")
        and (value is None or isinstance(value, (int, float, str)))
        and isinstance(id_, int)
        and isinstance(offset, int)
        and 0 <= offset <= 10_000_000
        and isinstance(seed, str)
    )


def effective_sort(query: SearchQuery, caller: User | None) -> SortOrder:
    if query.sort is not None and query.sort is not SortOrder.default:
        return query.sort
    if query.sort is None and caller is not None and caller.default_sort:
        chosen = SortOrder(caller.default_sort)
        if chosen is not SortOrder.default:
            return chosen
    if query.special_mode is Special.newcomer:
        return SortOrder.trending
    return SortOrder.default


def sort_key(query: SearchQuery, sort: SortOrder) -> ColumnElement[Any]:
    """The value a sort orders by (ties are broken by id)."""
    if sort is SortOrder.default:
        tsquery = text_query(query)
        if tsquery is not None:
            # Matches in the name, tagline and description rank by those; the
            # popular break ties, and order matches found in definitions only.
            rank = func.ts_rank_cd(Project.rank_vector, tsquery)
            popularity = func.ln(1 + Project.n_downloads) / 1000.0
            return cast(rank, Float) + popularity
        return Project.n_downloads.expression
    columns: dict[SortOrder, ColumnElement[Any]] = {
        SortOrder.trending: Project.trending_score.expression,
        SortOrder.trending_downloads: Project.trending_score.expression,
        SortOrder.download_count: Project.n_downloads.expression,
        SortOrder.star_count: Project.n_downloads.expression,
        # Spelled as in the index ix_projects_rating, so that the index serves it.
        SortOrder.rating: func.coalesce(
            Project.rating_avg, literal_column("-1.0::float8")
        ),
        SortOrder.rating_count: Project.n_ratings.expression,
        SortOrder.n_favorites: Project.n_favorites.expression,
        SortOrder.name: func.lower(Project.name, type_=String),
        SortOrder.id: Project.id.expression,
        SortOrder.new: Project.id.expression,
        SortOrder.created_at: Project.id.expression,
        SortOrder.last_activity_at: Project.last_activity_at.expression,
        SortOrder.n_tokens: Project.n_tokens.expression,
        # The random order itself is applied in `order`; rows still carry an id.
        SortOrder.random: Project.id.expression,
    }
    return columns[sort]


def uses_offset(query: SearchQuery, sort: SortOrder) -> bool:
    return sort is SortOrder.random or query.mine_first


def order(
    stmt: Select[Any],
    query: SearchQuery,
    sort: SortOrder,
    caller: User | None,
    seed: str,
) -> Select[Any]:
    if sort is SortOrder.random:
        return stmt.order_by(func.md5(func.concat(Project.id, seed)))
    key = sort_key(query, sort)
    ordering = (
        [key.asc(), Project.id.asc()] if query.asc else [key.desc(), Project.id.desc()]
    )
    if query.mine_first and caller is not None:
        favorites = select(Favorite.project_id).where(Favorite.user_id == caller.id)
        first = or_(Project.creator_id == caller.id, Project.id.in_(favorites))
        ordering.insert(0, first.desc())
    return stmt.order_by(*ordering)


def after(
    stmt: Select[Any], query: SearchQuery, sort: SortOrder, cursor: Cursor
) -> Select[Any]:
    """Rows strictly after the cursor's row in the sort."""
    key = sort_key(query, sort)
    value = _typed(cursor.value, key.type.python_type)
    if query.asc:
        return stmt.where(tuple_(key, Project.id) > tuple_(value, cursor.id))
    return stmt.where(tuple_(key, Project.id) < tuple_(value, cursor.id))


BIGINT = 2**63


def _typed(value: Any, wanted: type) -> Any:
    """The cursor's value as the sort's type; a cursor of another sort (or a
    forged one) is refused rather than compared with the wrong column."""
    if isinstance(value, bool):
        raise InvalidCursor
    if wanted is datetime and isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise InvalidCursor from None
    if wanted is int and isinstance(value, int) and -BIGINT <= value < BIGINT:
        return value
    if wanted is float and isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    if wanted is str and isinstance(value, str):
        return value
    raise InvalidCursor
