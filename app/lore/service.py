"""Lore: adding items, indexing projects' own lorebooks, and answering queries."""

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from functools import partial
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from app.cards import Lorebook
from app.config import Settings, get_settings
from app.db import after_commit
from app.lore import indexing, ranking, repository, sources
from app.lore.embedder import (
    Embedder,
    Vectors,
    embed_documents,
    embed_query,
    model_name,
)
from app.lore.errors import (
    CardItemNotDeletable,
    EmbeddingQueueUnavailable,
    LoreItemNotFound,
    NoLoreContent,
)
from app.lore.keywords import Match, Rules, evaluate
from app.lore.queue import enqueue_embedding, queue_embedding
from app.lore.ranking import Candidate
from app.lore.repository import NewItem
from app.lore.schemas import LoreMode, LoreQuery
from app.lore.sources import ItemDraft
from app.models import LoreItem, Project, User
from app.projects.access import CHARACTERS, get_owned, get_readable
from app.projects.definitions import load_character, load_lorebook

log = structlog.get_logger(__name__)

# The model reads 256 word pieces, and older turns drown out the newest one: a
# chat's query is its last exchange.
MAX_EMBEDDED_QUERY_CHARS = 1000
MAX_EMBEDDED_MESSAGES = 2
MAX_SEMANTIC_CANDIDATES = 200


@dataclass
class Upload:
    """A file or a `content` field sent to /lore/item."""

    data: bytes | None = None
    filename: str | None = None
    content: str | None = None
    name: str | None = None


@dataclass
class AddedBatch:
    batch_uuid: UUID
    items: list[LoreItem]
    name: str


async def add_items(
    session: AsyncSession,
    settings: Settings,
    embedder: Embedder,
    user: User,
    owner_id: int,
    upload: Upload,
) -> AddedBatch:
    """Store an upload as items of a project the user owns: embedded now when
    small, by the worker after the commit otherwise."""
    owner = await get_owned(session, owner_id, user)
    name = _upload_name(upload)
    drafts = _drafts(upload, name)

    texts = [text for draft in drafts for text in draft.embedding_texts()]
    inline = len(texts) <= settings.lore_inline_passages
    if inline:
        vectors = list(await embed_documents(embedder, texts))
        new_items = _with_vectors(drafts, vectors, embedder.name)
    else:
        new_items = [NewItem(d, [None] * len(d.passages), None) for d in drafts]
    items = await repository.insert_items(session, owner.id, "upload", None, new_items)
    if not inline:
        item_ids = [item.id for item in items]
        withdraw = partial(_queue_or_withdraw, session, settings, owner.id, item_ids)
        after_commit(session, withdraw)

    log.info(
        "lore.items_added",
        owner_id=owner.id,
        items=len(items),
        passages=len(texts),
        status=items[0].status,
    )
    return AddedBatch(items[0].batch_uuid, items, name)


async def _queue_or_withdraw(
    session: AsyncSession, settings: Settings, owner_id: int, item_ids: list[int]
) -> None:
    """Queue the upload's embedding, or take the upload back: a client told
    that the queue is down must not find it stored."""
    try:
        await queue_embedding(settings, owner_id)
    except EmbeddingQueueUnavailable:
        await repository.delete_items(session, item_ids)
        await session.commit()
        raise


def _drafts(upload: Upload, name: str) -> list[ItemDraft]:
    if upload.data and upload.content:
        raise NoLoreContent("Send either a `file` or a `content` field, not both.")
    if upload.data:
        return sources.read_upload(upload.data, upload.filename, name)
    if upload.content and upload.content.strip():
        return sources.read_content(upload.content, name)
    raise NoLoreContent("Send a non-empty `file` or `content` field.")


def _upload_name(upload: Upload) -> str:
    if upload.name and upload.name.strip():
        return upload.name.strip()[:200]
    if upload.filename:
        return upload.filename.rsplit("/", 1)[-1][:200]
    first_line = (upload.content or "").strip().split("\n", 1)[0]
    return first_line[:60]


def _with_vectors(
    drafts: list[ItemDraft], vectors: list[Vectors], model: str
) -> list[NewItem]:
    out: list[NewItem] = []
    start = 0
    for draft in drafts:
        end = start + len(draft.passages)
        out.append(NewItem(draft, list(vectors[start:end]), model))
        start = end
    return out


async def index_project(
    session: AsyncSession, project: Project, *, created: bool = False
) -> None:
    """Rebuild the items of a project's own lorebook (a character's embedded
    book, or a lorebook's entries) after its definition was written.

    Passages whose text did not change keep their vectors; the others wait
    for the worker, which is asked after the commit.
    """
    drafts = _own_drafts(project)
    if created and not drafts:
        return
    settings = get_settings()
    model = model_name(settings)
    known = await repository.card_vectors(session, project.id, model) if drafts else {}
    await repository.delete_card_items(session, project.id)
    if not drafts:
        return

    new_items = [_reusing(draft, known, model) for draft in drafts]
    items = await repository.insert_items(session, project.id, "card", None, new_items)
    if any(item.status == "pending" for item in items):
        after_commit(session, partial(enqueue_embedding, settings, project.id))
    log.info("lore.project_indexed", project_id=project.id, items=len(items))


def _reusing(draft: ItemDraft, known: dict[str, Vectors], model: str) -> NewItem:
    vectors = [known.get(sources.text_hash(t)) for t in draft.embedding_texts()]
    return NewItem(draft, vectors, model)


def _own_drafts(project: Project) -> list[ItemDraft]:
    if not project.has_lore_embedded:
        return []
    try:
        book = _own_lorebook(project)
    except ValueError:
        log.warning("lore.unreadable_definition", project_id=project.id)
        return []
    return sources.from_lorebook(book) if book is not None else []


def _own_lorebook(project: Project) -> Lorebook | None:
    if project.kind == CHARACTERS:
        return load_character(project.definition).character_book
    return load_lorebook(project.definition)


async def readable_owners(
    session: AsyncSession, owner_ids: list[int], caller: User | None
) -> list[int]:
    """The owners asked for (404 for any the caller may not read) and the
    lorebooks linked to the characters among them that the caller may read."""
    characters: list[int] = []
    for owner_id in dict.fromkeys(owner_ids):
        project = await get_readable(session, owner_id, caller)
        if project.kind == CHARACTERS:
            characters.append(project.id)
    linked: list[int] = []
    if characters:
        caller_id = caller.id if caller else None
        linked = await repository.readable_links(session, characters, caller_id)
    return list(dict.fromkeys([*owner_ids, *linked]))


async def list_items(
    session: AsyncSession,
    owner_ids: list[int],
    caller: User | None,
    offset: int,
    limit: int,
) -> tuple[list[LoreItem], int]:
    owners = await readable_owners(session, owner_ids, caller)
    return await repository.list_items(session, owners, offset, limit)


async def delete_items(
    session: AsyncSession, user: User, owner_id: int, uuid: UUID
) -> None:
    """Remove an uploaded item (or a whole upload) and its passages."""
    await get_owned(session, owner_id, user)
    items = await repository.items_named(session, owner_id, uuid)
    if not items:
        raise LoreItemNotFound
    if any(item.source == "card" for item in items):
        raise CardItemNotDeletable
    await repository.delete_items(session, [item.id for item in items])
    log.info("lore.items_deleted", owner_id=owner_id, items=len(items))


async def search(
    session: AsyncSession,
    settings: Settings,
    embedder: Embedder,
    caller: User | None,
    query: LoreQuery,
) -> list[Candidate]:
    """The lore that matters for a text, best first."""
    # The query's embedding (a model run in a thread) overlaps the access
    # checks and the catch-up, which wait on the database.
    vector: asyncio.Task[Vectors] | None = None
    if query.mode != LoreMode.keyword:
        vector = asyncio.create_task(embed_query(embedder, embedded_query(query)))
    try:
        owners = await readable_owners(session, query.owner_ids, caller)
        await indexing.catch_up(
            session, embedder, owners, settings.lore_inline_passages
        )
    except BaseException:
        if vector is not None:
            vector.cancel()
        raise

    semantic: list[Candidate] = []
    keyword: list[Candidate] = []
    if vector is not None:
        semantic = await _semantic(session, settings, embedder, owners, query, vector)
    if query.mode != LoreMode.semantic:
        keyword = await _keyword(session, owners, scan_text(query))
    if query.mode == LoreMode.hybrid:
        return ranking.fuse(semantic, keyword)[: query.first]
    return (semantic or keyword)[: query.first]


async def _semantic(
    session: AsyncSession,
    settings: Settings,
    embedder: Embedder,
    owners: list[int],
    query: LoreQuery,
    embedding: Awaitable[Vectors],
) -> list[Candidate]:
    vector = await embedding
    limit = min(query.first * 4, MAX_SEMANTIC_CANDIDATES)
    hits = await repository.nearest_passages(
        session, owners, vector, embedder.name, limit, settings.lore_ef_search
    )
    if query.min_score is not None:
        hits = [hit for hit in hits if hit.similarity >= query.min_score]
    return ranking.from_passages(hits)


async def _keyword(
    session: AsyncSession, owners: list[int], text: str
) -> list[Candidate]:
    candidates = await repository.keyword_candidates(session, owners, text.casefold())
    # Off the loop: the lorebook's regular expressions are the author's.
    matches = await asyncio.to_thread(_fired, candidates, text)
    firsts = await repository.first_passages(session, [item.id for item, _ in matches])
    return ranking.from_matches(matches, firsts)


def _fired(items: list[LoreItem], text: str) -> list[tuple[LoreItem, Match]]:
    out: list[tuple[LoreItem, Match]] = []
    for item in items:
        match = evaluate(_rules(item), text)
        if match is not None:
            out.append((item, match))
    return out


def _rules(item: LoreItem) -> Rules:
    return Rules(
        keys=item.keys,
        secondary_keys=item.secondary_keys,
        selective=item.selective,
        selective_logic=item.selective_logic,
        constant=item.constant,
        enabled=item.enabled,
        case_sensitive=item.case_sensitive,
        use_regex=item.use_regex,
        match_whole_words=item.match_whole_words,
    )


def scan_text(query: LoreQuery) -> str:
    """The text keys are looked for in: the query and every message."""
    parts = [query.query or ""] + [m.content for m in query.messages or []]
    return "\n".join(part for part in parts if part.strip())


def embedded_query(query: LoreQuery) -> str:
    """The text the model reads: the query, or the latest messages that fit."""
    if query.query and query.query.strip():
        return query.query.strip()[:MAX_EMBEDDED_QUERY_CHARS]
    kept: list[str] = []
    size = 0
    for message in reversed(query.messages or []):
        content = message.content.strip()
        if not content:
            continue
        if len(kept) == MAX_EMBEDDED_MESSAGES or (
            kept and size + len(content) > MAX_EMBEDDED_QUERY_CHARS
        ):
            break
        kept.insert(0, content[-MAX_EMBEDDED_QUERY_CHARS:])
        size += len(content)
    return "\n".join(kept)
