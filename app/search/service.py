"""Search over the catalogue: filters, sorts, pages and cursors."""

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    CompoundSelect,
    Float,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Project, User
from app.projects.nodes import node_only
from app.search import filters
from app.search.ordering import (
    Cursor,
    after,
    effective_sort,
    order,
    sort_key,
    uses_offset,
)
from app.search.schemas import SearchQuery
from app.search.sorts import SortOrder

MAX_FIRST = 500


@dataclass(frozen=True)
class SearchPage:
    ids: list[int]
    total: int | None
    page: int
    cursor: str | None
    previous_cursor: str | None


def filtered(
    query: SearchQuery, caller: User | None, blocks: filters.Blocks | None = None
) -> Select[Any]:
    """The ids of every project the query matches, unsorted."""
    stmt: Select[Any] = select(Project.id)
    stmt = filters.apply_kind_and_forks(stmt, query)
    stmt = filters.apply_ownership(stmt, query, caller, blocks or filters.Blocks())
    stmt = filters.apply_content_flags(stmt, query)
    stmt = filters.apply_tags(stmt, query)
    stmt = filters.apply_text(stmt, query)
    stmt = filters.apply_ranges(stmt, query)
    return filters.apply_requirements(stmt, query, caller)


async def search(
    session: AsyncSession, query: SearchQuery, caller: User | None
) -> SearchPage:
    # Compat: `first` is honoured up to 500; larger values are not an error.
    first = min(query.first, MAX_FIRST)
    sort = effective_sort(query, caller)
    cursor = Cursor.decode(query.cursor) if query.cursor else None
    base = filtered(query, caller, await filters.load_blocks(session, caller))
    key = sort_key(query, sort)

    stmt = base.add_columns(key.label("sort_value"))
    seed = cursor.seed if cursor else secrets.token_hex(4)
    stmt = order(stmt, query, sort, caller, seed)
    offset = (query.page - 1) * first
    if cursor is not None and cursor.kind == "key" and not uses_offset(query, sort):
        stmt, offset = after(stmt, query, sort, cursor), 0
    elif cursor is not None:
        offset = cursor.offset
    rows = (await session.execute(stmt.offset(offset).limit(first))).all()

    # The sort runs on ids and keys only: callers read whole rows for one page.
    total = await count(session, base) if query.count else None
    next_cursor = None
    if len(rows) == first:
        next_cursor = _next(rows[-1], query, sort, offset + first, seed)
    return SearchPage(
        [row[0] for row in rows], total, query.page, next_cursor, query.cursor
    )


async def load_projects(session: AsyncSession, ids: list[int]) -> list[Project]:
    """The projects of a page, in its order, without their definitions."""
    if not ids:
        return []
    stmt = select(Project).where(Project.id.in_(ids)).options(*node_only())
    rows = await session.execute(stmt)
    by_id = {project.id: project for project in rows.scalars()}
    return [by_id[i] for i in ids if i in by_id]


def _next(row: Any, query: SearchQuery, sort: SortOrder, offset: int, seed: str) -> str:
    if uses_offset(query, sort):
        return Cursor("offset", offset=offset, seed=seed).encode()
    value = row.sort_value
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    return Cursor("key", value=value, id=row[0]).encode()


async def count(session: AsyncSession, base: Select[Any]) -> int:
    stmt = base.with_only_columns(func.count(), maintain_column_froms=True)
    return int((await session.execute(stmt.order_by(None))).scalar_one())


MINISEARCH_LIMIT = 20
MIN_FUZZY = 3
CUSTOM_PLAN = text("SET LOCAL plan_cache_mode = force_custom_plan")


@dataclass(frozen=True)
class MiniHit:
    id: int
    name: str
    slug: str
    kind: str
    avatar_key: str | None
    creator: str


MINI_COLUMNS = (
    Project.id,
    Project.name,
    Project.slug,
    Project.kind,
    Project.avatar_key,
    User.username,
)


def _minisearch_statement(
    *, fuzzy: bool, signed_in: bool
) -> Select[Any] | CompoundSelect[Any]:
    """Prefix matches (the `pattern` parameter), and with ``fuzzy`` the
    closest names to `needle` when the prefixes are fewer than the limit."""
    name = func.lower(Project.name)
    visible = Project.visibility == "public"
    if signed_in:
        visible = or_(visible, Project.creator_id == bindparam("caller_id"))
    # As in /search: NSFW and NSFL projects only when asked for.
    flags = (
        or_(bindparam("nsfw", type_=Boolean), Project.nsfw.is_(False)),
        or_(bindparam("nsfl", type_=Boolean), Project.nsfl.is_(False)),
    )
    base = (
        select(*MINI_COLUMNS)
        .join(User, User.id == Project.creator_id)
        .where(visible, *flags)
    )
    prefixed = (
        base.add_columns(
            literal(0).label("step"), cast(Project.n_downloads, Float).label("score")
        )
        .where(name.like(bindparam("pattern", type_=String)))
        .order_by(Project.n_downloads.desc(), Project.id.desc())
        .limit(MINISEARCH_LIMIT)
        .cte("prefixed")
    )
    if not fuzzy:
        return select(prefixed)
    needle = bindparam("needle", type_=String)
    short = select(func.count()).select_from(prefixed).scalar_subquery()
    closest = (
        base.add_columns(
            literal(1).label("step"), func.similarity(name, needle).label("score")
        )
        .where(
            short < MINISEARCH_LIMIT,
            name.op("%")(needle),
            Project.id.not_in(select(prefixed.c.id)),
        )
        .order_by(func.similarity(name, needle).desc(), Project.id.desc())
        .limit(MINISEARCH_LIMIT)
    )
    return union_all(select(prefixed), closest)


# Built once: a type-ahead box calls this on every key press.
MINI_STATEMENTS = {
    (fuzzy, signed_in): _minisearch_statement(fuzzy=fuzzy, signed_in=signed_in)
    for fuzzy in (False, True)
    for signed_in in (False, True)
}


async def minisearch(
    session: AsyncSession,
    text: str,
    caller: User | None,
    *,
    nsfw: bool = False,
    nsfl: bool = False,
) -> list[MiniHit]:
    """Names starting with the text first (most downloaded first), then, when
    those are fewer than the limit, close fuzzy matches, in one statement."""
    needle = text.strip().lower()
    if not needle:
        return []
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # Trigram similarity means little for one or two letters: prefixes only.
    stmt = MINI_STATEMENTS[(len(needle) >= MIN_FUZZY, caller is not None)]
    params = {
        "pattern": f"{escaped}%",
        "needle": needle,
        "caller_id": caller.id if caller else None,
        "nsfw": nsfw,
        "nsfl": nsfl,
    }
    # A common prefix is best served by walking the downloads index, a rare one
    # by the prefix index: only a plan made for the value knows which it is.
    await session.execute(CUSTOM_PLAN)
    found = (await session.execute(stmt, params)).all()
    rows = sorted(found, key=lambda r: (r.step, -r.score, -r.id))
    return [MiniHit(*row[: len(MINI_COLUMNS)]) for row in rows[:MINISEARCH_LIMIT]]
