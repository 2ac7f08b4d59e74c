"""Turning the hits of both searches into one ranked list, with reasons.

A lorebook entry is one result however many of its passages match (with the
entry's whole text, which is what a front end inserts); a text's passages are
results of their own. Hybrid mode fuses the semantic and keyword rankings by
reciprocal rank fusion, which needs no common scale between a cosine and a
key match.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from uuid import UUID

from app.lore.keywords import Match
from app.lore.repository import PassageHit
from app.models import LoreItem

RRF_K = 60
# The fused score of a result ranked first in both lists, to scale scores to 1.
_RRF_TOP = 2.0 / (RRF_K + 1)


@dataclass
class Candidate:
    item: LoreItem
    passage_uuid: UUID
    content: str
    similarity: float | None = None
    semantic_rank: int | None = None
    keyword_rank: int | None = None
    match: Match | None = None
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)

    @property
    def identity(self) -> tuple[str, object]:
        if self.item.kind == "entry":
            return ("item", self.item.id)
        return ("passage", self.passage_uuid)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def from_passages(hits: Iterable[PassageHit]) -> list[Candidate]:
    """Semantic candidates, best first; an entry keeps its best passage."""
    seen: set[int] = set()
    out: list[Candidate] = []
    for hit in hits:
        item = hit.item
        if item.kind == "entry":
            if item.id in seen:
                continue
            seen.add(item.id)
        content = item.content if item.kind == "entry" else hit.content
        rank = len(out) + 1
        out.append(Candidate(item, hit.passage_uuid, content, hit.similarity, rank))
    for candidate in out:
        candidate.score = candidate.similarity or 0.0
        candidate.reasons.append(_semantic_reason(candidate))
    return out


def from_matches(
    matches: Iterable[tuple[LoreItem, Match]], first_passages: Mapping[int, UUID]
) -> list[Candidate]:
    """Keyword candidates: entries whose keys fired, most keys and highest
    insertion order first, then constant entries."""

    def order(pair: tuple[LoreItem, Match]) -> tuple[bool, int, float]:
        item, match = pair
        return (not match.keys, -len(match.matched_keys), -item.insertion_order)

    out: list[Candidate] = []
    for rank, (item, match) in enumerate(sorted(matches, key=order), start=1):
        candidate = Candidate(
            item, first_passages[item.id], item.content, keyword_rank=rank
        )
        candidate.match = match
        candidate.score = 1.0
        candidate.reasons.append(_keyword_reason(match))
        out.append(candidate)
    return out


def fuse(semantic: list[Candidate], keyword: list[Candidate]) -> list[Candidate]:
    """Reciprocal rank fusion of both lists, scaled so that 1.0 is first in both."""
    merged: dict[tuple[str, object], Candidate] = {}
    for candidate in keyword:
        merged[candidate.identity] = candidate
    for candidate in semantic:
        known = merged.get(candidate.identity)
        if known is None:
            merged[candidate.identity] = candidate
            continue
        known.similarity = candidate.similarity
        known.semantic_rank = candidate.semantic_rank
        known.passage_uuid = candidate.passage_uuid
        known.reasons.append(_semantic_reason(candidate))
    for candidate in merged.values():
        candidate.score = _rrf(candidate) / _RRF_TOP
    return sorted(merged.values(), key=lambda c: -c.score)


def _rrf(candidate: Candidate) -> float:
    ranks = (candidate.semantic_rank, candidate.keyword_rank)
    return sum(1.0 / (RRF_K + rank) for rank in ranks if rank is not None)


def _semantic_reason(candidate: Candidate) -> str:
    return (
        f"semantic: similarity {candidate.similarity or 0.0:.3f} "
        f"(rank {candidate.semantic_rank})"
    )


def _keyword_reason(match: Match) -> str:
    if not match.keys:
        return "keyword: constant entry, always included"
    reason = "keyword: matched " + ", ".join(repr(k) for k in match.keys)
    if match.secondary_keys:
        reason += " with secondary " + ", ".join(repr(k) for k in match.secondary_keys)
    return reason
