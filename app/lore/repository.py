"""The SQL of lore: items, passages, vectors and the two kinds of search."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import delete, exists, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.lore.embedder import Vectors
from app.lore.sources import ItemDraft, folded_keys, text_hash
from app.models import LorebookLink, LoreItem, LorePassage, Project

# A key written /pattern/flags is a regular expression even in an entry that
# does not use regex; such entries skip the plain-key pre-filter.
_SLASHED_KEY = r"^\s*/.+/[a-z]*\s*$"


@dataclass
class NewItem:
    """A draft to insert and the vectors it already has (by passage)."""

    draft: ItemDraft
    vectors: list[Vectors | None]
    model: str | None


async def insert_items(
    session: AsyncSession,
    owner_id: int,
    source: str,
    batch_uuid: UUID | None,
    new_items: Sequence[NewItem],
) -> list[LoreItem]:
    """Insert items and their passages; an item whose every passage has a
    vector is ready at once."""
    batch = batch_uuid or uuid4()
    rows = [_item_row(owner_id, source, batch, new) for new in new_items]
    if batch_uuid is None and len(rows) == 1:
        # A single item is its own batch, so that one uuid names it.
        rows[0]["batch_uuid"] = rows[0]["uuid"]
    items = list(
        (
            await session.scalars(
                insert(LoreItem).returning(LoreItem, sort_by_parameter_order=True),
                rows,
            )
        ).all()
    )
    passages = [
        _passage_row(item, new, ordinal)
        for item, new in zip(items, new_items, strict=True)
        for ordinal in range(len(new.draft.passages))
    ]
    for start in range(0, len(passages), 5000):
        await session.execute(insert(LorePassage), passages[start : start + 5000])
    return items


def _item_row(owner_id: int, source: str, batch: UUID, new: NewItem) -> dict[str, Any]:
    draft, rules = new.draft, new.draft.rules
    complete = all(vector is not None for vector in new.vectors)
    return {
        "uuid": uuid4(),
        "batch_uuid": batch,
        "owner_id": owner_id,
        "source": source,
        "kind": draft.kind,
        "name": draft.name,
        "content": draft.content,
        "keys": list(rules.keys),
        "secondary_keys": list(rules.secondary_keys),
        "folded_keys": folded_keys(rules),
        "selective": rules.selective,
        "selective_logic": rules.selective_logic,
        "constant": rules.constant,
        "enabled": rules.enabled,
        "case_sensitive": rules.case_sensitive,
        "use_regex": rules.use_regex,
        "match_whole_words": rules.match_whole_words,
        "insertion_order": draft.insertion_order,
        "position": draft.position,
        "status": "ready" if complete else "pending",
        "embedded_model": new.model if complete else None,
        "n_passages": len(draft.passages),
    }


def _passage_row(item: LoreItem, new: NewItem, ordinal: int) -> dict[str, Any]:
    vector = new.vectors[ordinal]
    return {
        "uuid": uuid4(),
        "item_id": item.id,
        "owner_id": item.owner_id,
        "ordinal": ordinal,
        "content": new.draft.passages[ordinal],
        "text_hash": text_hash(new.draft.embedding_texts()[ordinal]),
        "embedding": vector,
        "model": new.model if vector is not None else None,
    }


async def card_vectors(
    session: AsyncSession, owner_id: int, model: str
) -> dict[str, Vectors]:
    """The vectors of an owner's card passages by text hash, for reuse when
    the card is rewritten."""
    stmt = (
        select(LorePassage.text_hash, LorePassage.embedding)
        .join(LoreItem, LoreItem.id == LorePassage.item_id)
        .where(
            LoreItem.owner_id == owner_id,
            LoreItem.source == "card",
            LorePassage.model == model,
        )
    )
    return {row.text_hash: row.embedding for row in await session.execute(stmt)}


async def delete_card_items(session: AsyncSession, owner_id: int) -> None:
    await session.execute(
        delete(LoreItem).where(LoreItem.owner_id == owner_id, LoreItem.source == "card")
    )


async def has_card_items(session: AsyncSession, owner_id: int) -> bool:
    stmt = select(
        exists().where(LoreItem.owner_id == owner_id, LoreItem.source == "card")
    )
    return bool(await session.scalar(stmt))


async def list_items(
    session: AsyncSession, owner_ids: Sequence[int], offset: int, limit: int
) -> tuple[list[LoreItem], int]:
    """One page of the owners' items in a stable order, and their number."""
    owned = LoreItem.owner_id.in_(owner_ids)
    stmt = (
        select(LoreItem)
        .where(owned)
        .order_by(LoreItem.owner_id, LoreItem.id)
        .offset(offset)
        .limit(limit)
    )
    items = list((await session.scalars(stmt)).all())
    total = await session.scalar(select(func.count()).where(owned))
    return items, int(total or 0)


async def items_named(
    session: AsyncSession, owner_id: int, uuid: UUID
) -> list[LoreItem]:
    """The item with this uuid, or every item of the batch with it."""
    stmt = select(LoreItem).where(
        LoreItem.owner_id == owner_id,
        or_(LoreItem.uuid == uuid, LoreItem.batch_uuid == uuid),
    )
    return list((await session.scalars(stmt)).all())


async def delete_items(session: AsyncSession, item_ids: Sequence[int]) -> None:
    await session.execute(delete(LoreItem).where(LoreItem.id.in_(item_ids)))


async def readable_links(
    session: AsyncSession, character_ids: Sequence[int], caller_id: int | None
) -> list[int]:
    """Lorebooks linked to these characters that the caller may read."""
    visible = Project.visibility != "private"
    if caller_id is not None:
        visible = or_(visible, Project.creator_id == caller_id)
    stmt = (
        select(LorebookLink.lorebook_id)
        .join(Project, Project.id == LorebookLink.lorebook_id)
        .where(LorebookLink.character_id.in_(character_ids), visible)
    )
    return list((await session.scalars(stmt)).all())


@dataclass
class PassageToEmbed:
    id: int
    item_id: int
    content: str
    name: str
    kind: str
    keys: list[str]
    use_regex: bool


async def passages_to_embed(
    session: AsyncSession, owner_ids: Sequence[int] | None, model: str, limit: int
) -> list[PassageToEmbed]:
    """Passages without a vector of `model`, item by item, locked for this
    transaction; rows another transaction holds are skipped."""
    stmt = (
        select(
            LorePassage.id,
            LorePassage.item_id,
            LorePassage.content,
            LoreItem.name,
            LoreItem.kind,
            LoreItem.keys,
            LoreItem.use_regex,
        )
        .join(LoreItem, LoreItem.id == LorePassage.item_id)
        .where(
            LorePassage.model.is_distinct_from(model),
            LoreItem.status != "failed",
        )
        .order_by(LorePassage.item_id, LorePassage.ordinal)
        .limit(limit)
        .with_for_update(of=LorePassage, skip_locked=True)
    )
    if owner_ids is not None:
        stmt = stmt.where(LorePassage.owner_id.in_(owner_ids))
    return [PassageToEmbed(*row) for row in await session.execute(stmt)]


async def count_to_embed(
    session: AsyncSession, owner_ids: Sequence[int] | None, model: str
) -> int:
    stmt = (
        select(func.count())
        .select_from(LorePassage)
        .join(LoreItem, LoreItem.id == LorePassage.item_id)
        .where(LorePassage.model.is_distinct_from(model), LoreItem.status != "failed")
    )
    if owner_ids is not None:
        stmt = stmt.where(LorePassage.owner_id.in_(owner_ids))
    return int(await session.scalar(stmt) or 0)


async def pending_passages(session: AsyncSession, owner_ids: Sequence[int]) -> int:
    """Passages of the owners' pending items (through the status index)."""
    stmt = select(func.coalesce(func.sum(LoreItem.n_passages), 0)).where(
        LoreItem.owner_id.in_(owner_ids), LoreItem.status == "pending"
    )
    return int(await session.scalar(stmt) or 0)


async def store_vectors(
    session: AsyncSession, passage_ids: Sequence[int], vectors: Vectors, model: str
) -> None:
    rows = [
        {"id": passage_id, "embedding": vector, "model": model}
        for passage_id, vector in zip(passage_ids, vectors, strict=True)
    ]
    await session.execute(update(LorePassage), rows)


async def finish_items(
    session: AsyncSession, item_ids: Sequence[int], model: str
) -> None:
    """Make ready, for `model`, the items all of whose passages it embedded."""
    missing = exists().where(
        LorePassage.item_id == LoreItem.id,
        LorePassage.model.is_distinct_from(model),
    )
    await session.execute(
        update(LoreItem)
        .where(LoreItem.id.in_(item_ids), LoreItem.status != "failed", ~missing)
        .values(status="ready", embedded_model=model, error=None)
    )


async def finish_pending(
    session: AsyncSession, owner_ids: Sequence[int] | None, model: str
) -> None:
    """`finish_items` for every pending item of these owners (all if None)."""
    stmt = select(LoreItem.id).where(LoreItem.status == "pending")
    if owner_ids is not None:
        stmt = stmt.where(LoreItem.owner_id.in_(owner_ids))
    await finish_items(session, list(await session.scalars(stmt)), model)


async def pending_owners(session: AsyncSession) -> list[int]:
    stmt = select(LoreItem.owner_id).where(LoreItem.status == "pending").distinct()
    return list(await session.scalars(stmt))


async def fail_items(
    session: AsyncSession, owner_ids: Sequence[int] | None, reason: str
) -> None:
    stmt = (
        update(LoreItem)
        .where(LoreItem.status == "pending")
        .values(status="failed", error=reason)
    )
    if owner_ids is not None:
        stmt = stmt.where(LoreItem.owner_id.in_(owner_ids))
    await session.execute(stmt)


async def retry_failed(session: AsyncSession) -> int:
    result = await session.execute(
        update(LoreItem)
        .where(LoreItem.status == "failed")
        .values(status="pending", error=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass
class PassageHit:
    passage_uuid: UUID
    item: LoreItem
    content: str
    similarity: float


async def nearest_passages(
    session: AsyncSession,
    owner_ids: Sequence[int],
    vector: Vectors,
    model: str,
    limit: int,
    ef_search: int,
) -> list[PassageHit]:
    """The passages nearest to `vector` by cosine, through the HNSW index
    (searched as the connection's settings say, see `app.db.create_engine`),
    with their items."""
    if limit > ef_search:
        # Local to the transaction: the graph search must keep `limit` rows.
        await session.execute(
            text("SELECT set_config('hnsw.ef_search', :ef, true)"), {"ef": str(limit)}
        )
    distance = LorePassage.embedding.cosine_distance(vector)
    stmt = (
        select(
            LorePassage.uuid,
            LoreItem,
            LorePassage.content,
            distance.label("distance"),
        )
        .join(LoreItem, LoreItem.id == LorePassage.item_id)
        .where(
            LorePassage.owner_id.in_(owner_ids),
            LoreItem.status == "ready",
            LoreItem.enabled,
            LoreItem.embedded_model == model,
        )
        .order_by(distance)
        .limit(limit)
    )
    hits = [
        PassageHit(row.uuid, row.LoreItem, row.content, 1.0 - float(row.distance))
        for row in await session.execute(stmt)
    ]
    # relaxed_order may return rows slightly out of order.
    return sorted(hits, key=lambda hit: -hit.similarity)


async def keyword_candidates(
    session: AsyncSession, owner_ids: Sequence[int], folded_text: str
) -> list[LoreItem]:
    """Ready, enabled entries that may fire for a text: constant ones, those
    with regex keys, and those a plain key of which occurs in it."""
    plain_key = func.unnest(LoreItem.folded_keys).column_valued("plain_key")
    any_key = func.unnest(LoreItem.keys).column_valued("any_key")
    plain_hit = exists(select(1).where(func.strpos(folded_text, plain_key) > 0))
    regex_key = exists(select(1).where(any_key.regexp_match(_SLASHED_KEY)))
    stmt = select(LoreItem).where(
        LoreItem.owner_id.in_(owner_ids),
        LoreItem.kind == "entry",
        LoreItem.status == "ready",
        LoreItem.enabled,
        or_(LoreItem.constant, LoreItem.use_regex, plain_hit, regex_key),
    )
    return list((await session.scalars(stmt)).all())


async def first_passages(
    session: AsyncSession, item_ids: Sequence[int]
) -> dict[int, UUID]:
    stmt = select(LorePassage.item_id, LorePassage.uuid).where(
        LorePassage.item_id.in_(item_ids), LorePassage.ordinal == 0
    )
    return {row.item_id: row.uuid for row in await session.execute(stmt)}
