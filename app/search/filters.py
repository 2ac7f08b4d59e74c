"""The search filters: a few flat helpers, each a chain of `where` clauses."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    cast,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import REGCONFIG, array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.models import Favorite, LorebookLink, Project, TagBlock, User, UserBlock
from app.projects.access import readable
from app.search.schemas import AccessLevel, SearchQuery, Special
from app.tags.names import normalize_tag
from app.tags.service import FLAG_TAGS

ENGLISH = literal("english").cast(REGCONFIG)
NEWCOMER_DAYS = 30


@dataclass(frozen=True)
class Blocks:
    """The people and tags a caller never wants to see."""

    users: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


async def load_blocks(session: AsyncSession, caller: User | None) -> Blocks:
    """The caller's blocks, read once so that a search without any has no
    filter for them (the planner can then count from an index alone)."""
    if caller is None:
        return Blocks()
    users = select(literal("user"), cast(UserBlock.blocked_user_id, String)).where(
        UserBlock.user_id == caller.id
    )
    tags = select(literal("tag"), TagBlock.tag).where(TagBlock.user_id == caller.id)
    blocks = Blocks()
    for kind, value in await session.execute(union_all(users, tags)):
        if kind == "user":
            blocks.users.append(int(value))
        else:
            blocks.tags.append(value)
    return blocks


@dataclass(frozen=True)
class TagFilter:
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    flags_on: set[str] = field(default_factory=set)
    flags_off: set[str] = field(default_factory=set)


def split_tags(*lists: str) -> list[str]:
    keys = []
    for value in lists:
        for part in value.split(","):
            if part.strip():
                keys.append(normalize_tag(part[:64]))
    return list(dict.fromkeys(keys))


def tag_filter(query: SearchQuery) -> TagFilter:
    include = split_tags(query.tags, query.topics)
    exclude = split_tags(query.exclude_tags, query.excludetopics)
    return TagFilter(
        include=[k for k in include if k not in FLAG_TAGS],
        exclude=[k for k in exclude if k not in FLAG_TAGS],
        flags_on={FLAG_TAGS[k] for k in include if k in FLAG_TAGS},
        flags_off={FLAG_TAGS[k] for k in exclude if k in FLAG_TAGS},
    )


def text_query(query: SearchQuery) -> object | None:
    if query.search.strip():
        return func.websearch_to_tsquery(ENGLISH, query.search)
    return None


def apply_text(stmt: Select[Any], query: SearchQuery) -> Select[Any]:
    tsquery = text_query(query)
    if tsquery is not None:
        stmt = stmt.where(Project.search_vector.op("@@")(tsquery))
    if query.exact_search.strip():
        phrase = func.phraseto_tsquery(ENGLISH, query.exact_search)
        # The planner guesses a phrase as common as its words together and may
        # walk a sort index, checking positions in every TOASTed vector on the
        # way (seconds); matched first through the GIN index, it costs one
        # recheck per row holding all the words.
        matches = (
            select(Project.id)
            .where(Project.search_vector.op("@@")(phrase))
            .cte("phrase_matches")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        stmt = stmt.where(Project.id.in_(select(matches.c.id)))
    if query.name_like.strip():
        needle = query.name_like.strip().lower()
        name = func.lower(Project.name)
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        # pg_trgm's `%`: similar as a whole (typos); LIKE: a part of the name.
        stmt = stmt.where(or_(name.like(f"%{escaped}%"), name.op("%")(needle)))
    return stmt


def apply_tags(stmt: Select[Any], query: SearchQuery) -> Select[Any]:
    tags = tag_filter(query)
    if tags.include:
        wanted = array(tags.include)
        if query.inclusive_or:
            stmt = stmt.where(Project.tag_keys.overlap(wanted))
        else:
            stmt = stmt.where(Project.tag_keys.contains(wanted))
    if tags.exclude:
        stmt = stmt.where(not_(Project.tag_keys.overlap(array(tags.exclude))))
    if query.min_tags:
        stmt = stmt.where(func.cardinality(Project.tag_keys) >= query.min_tags)
    return stmt


def apply_content_flags(stmt: Select[Any], query: SearchQuery) -> Select[Any]:
    tags = tag_filter(query)
    if query.nsfw_only or "nsfw" in tags.flags_on:
        stmt = stmt.where(Project.nsfw.is_(True))
    elif not query.nsfw or "nsfw" in tags.flags_off:
        stmt = stmt.where(Project.nsfw.is_(False))
    if "nsfl" in tags.flags_on:
        stmt = stmt.where(Project.nsfl.is_(True))
    elif not query.nsfl or "nsfl" in tags.flags_off:
        stmt = stmt.where(Project.nsfl.is_(False))
    return stmt


def apply_ranges(stmt: Select[Any], query: SearchQuery) -> Select[Any]:
    if query.min_tokens:
        stmt = stmt.where(Project.n_tokens >= query.min_tokens)
    if query.max_tokens is not None:
        stmt = stmt.where(Project.n_tokens <= query.max_tokens)
    if query.min_users_chatted is not None:
        stmt = stmt.where(Project.n_chats >= query.min_users_chatted)
    if query.max_messages is not None:
        stmt = stmt.where(Project.n_messages <= query.max_messages)
    if query.max_days_ago is not None:
        since = datetime.now(UTC) - timedelta(days=query.max_days_ago)
        stmt = stmt.where(Project.last_activity_at >= since)
    if query.min_ai_rating:
        # Unrated projects have no average and fall out here.
        stmt = stmt.where(Project.rating_avg >= query.min_ai_rating)
    if query.special_mode is Special.newcomer:
        since = datetime.now(UTC) - timedelta(days=NEWCOMER_DAYS)
        stmt = stmt.where(Project.created_at >= since)
    return stmt


# Built once: a linked lorebook counts only when the caller may read it.
_BOOK = aliased(Project, name="linked_book")


def _readable_link(caller: User | None) -> ColumnElement[bool]:
    return exists().where(
        LorebookLink.character_id == Project.id,
        LorebookLink.lorebook_id == _BOOK.id,
        readable(_BOOK, caller),
    )


def apply_requirements(
    stmt: Select[Any], query: SearchQuery, caller: User | None
) -> Select[Any]:
    if query.require_images:
        stmt = stmt.where(Project.has_gallery.is_(True))
    if query.require_example_dialogues:
        stmt = stmt.where(Project.has_example_dialogues.is_(True))
    if query.require_alternate_greetings:
        stmt = stmt.where(Project.has_alternate_greetings.is_(True))
    if query.require_custom_prompt:
        stmt = stmt.where(Project.has_custom_prompt.is_(True))
    if query.require_expressions:
        stmt = stmt.where(Project.has_expressions.is_(True))
    # has_lore_linked says a link exists; whether the caller may read the
    # lorebook behind it is checked for the rows that have one.
    linked = and_(Project.has_lore_linked.is_(True), _readable_link(caller))
    if query.require_lore:
        stmt = stmt.where(or_(Project.has_lore_embedded.is_(True), linked))
    if query.require_lore_embedded:
        stmt = stmt.where(Project.has_lore_embedded.is_(True))
    if query.require_lore_linked:
        stmt = stmt.where(linked)
    if query.recommended_verified:
        stmt = stmt.where(Project.recommended.is_(True), Project.verified.is_(True))
    if query.language:
        stmt = stmt.where(Project.language == query.language.lower())
    return stmt


def apply_kind_and_forks(stmt: Select[Any], query: SearchQuery) -> Select[Any]:
    if query.namespace != "*":
        stmt = stmt.where(Project.kind == query.namespace)
    if not query.include_forks:
        stmt = stmt.where(Project.forked_from_id.is_(None))
    return stmt


def apply_ownership(
    stmt: Select[Any], query: SearchQuery, caller: User | None, blocks: Blocks
) -> Select[Any]:
    """Visibility, the caller's blocks and the people filters."""
    stmt = _visibility(stmt, query, caller)
    if query.creator_id is not None:
        stmt = stmt.where(Project.creator_id == query.creator_id)
    if query.username:
        creator = select(User.id).where(
            func.lower(User.username) == query.username.lower()
        )
        stmt = stmt.where(Project.creator_id == creator.scalar_subquery())
    if caller is None:
        return stmt
    if query.my_favorites:
        favorites = select(Favorite.project_id).where(Favorite.user_id == caller.id)
        stmt = stmt.where(Project.id.in_(favorites))
    if blocks.users:
        stmt = stmt.where(Project.creator_id.not_in(blocks.users))
    if blocks.tags:
        stmt = stmt.where(not_(Project.tag_keys.overlap(array(blocks.tags))))
    return stmt


def _visibility(
    stmt: Select[Any], query: SearchQuery, caller: User | None
) -> Select[Any]:
    if caller is None:
        return stmt.where(Project.visibility == "public")
    mine = Project.creator_id == caller.id
    if query.only_mine is not None:
        stmt = stmt.where(mine)
        if query.only_mine in (AccessLevel.all, AccessLevel.true):
            return stmt
        return stmt.where(Project.visibility == query.only_mine.value)
    if query.mine_first and not query.exclude_mine:
        return stmt.where(or_(Project.visibility == "public", mine))
    return stmt.where(Project.visibility == "public")
