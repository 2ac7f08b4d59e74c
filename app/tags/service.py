"""Tags of projects. `NSFW` and `NSFL` are not stored as tags: they set the
project's content flags, and show among its topics while set."""

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, event, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.errors import BadRequest
from app.models import Project, ProjectTag, Tag
from app.tags.names import normalize_tag

FLAG_TAGS = {"nsfw": "nsfw", "nsfl": "nsfl"}
TAG_ID_CACHE = "tag_ids"
MAX_TAGS_PER_PROJECT = 100


@event.listens_for(Session, "after_soft_rollback")
def _forget_tag_ids(session: Session, previous_transaction: object) -> None:
    # Ids of tags inserted by a rolled-back transaction no longer exist.
    session.info.pop(TAG_ID_CACHE, None)


def display_name(name: str) -> str:
    return " ".join(name.split())


async def get_or_create(session: AsyncSession, names: Iterable[str]) -> list[int]:
    """The ids of these tags, created when new, in the order given."""
    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(normalize_tag(name), display_name(name))
    # Tags are never deleted, so ids learnt in this session stay right; imports
    # of many cards then mostly skip the tag queries.
    known: dict[str, int] = session.info.setdefault(TAG_ID_CACHE, {})
    missing = [key for key in by_key if key not in known]
    if missing:
        await session.execute(
            insert(Tag)
            .values([{"key": k, "name": by_key[k]} for k in missing])
            .on_conflict_do_nothing(index_elements=["key"])
        )
        rows = await session.execute(
            select(Tag.key, Tag.id).where(Tag.key.in_(missing))
        )
        known.update({row[0]: row[1] for row in rows})
    return [known[key] for key in by_key]


class TooManyTags(BadRequest):
    def __init__(self) -> None:
        super().__init__(
            f"A project has at most {MAX_TAGS_PER_PROJECT} tags; "
            "remove one before adding another."
        )


async def add_tags(
    session: AsyncSession,
    project: Project,
    names: Iterable[str],
    *,
    has_tags: bool = True,
) -> None:
    """Tag a project; flag names set its content flags instead. `has_tags=False`
    (a new project) skips reading the tags it already has."""
    plain = []
    for name in names:
        key = normalize_tag(name)
        if key in FLAG_TAGS:
            setattr(project, FLAG_TAGS[key], True)
        else:
            plain.append(name)
    if not plain:
        return
    keys = {normalize_tag(name) for name in plain}
    if has_tags:
        keys |= {
            normalize_tag(n)
            for n in (await names_by_project(session, [project.id])).get(project.id, [])
        }
    if len(keys) > MAX_TAGS_PER_PROJECT:
        raise TooManyTags

    project.tag_keys = sorted(set(project.tag_keys or ()) | keys)
    tag_ids = await get_or_create(session, plain)
    await session.execute(
        insert(ProjectTag)
        .values([{"project_id": project.id, "tag_id": tag_id} for tag_id in tag_ids])
        .on_conflict_do_nothing()
    )


async def remove_tag(session: AsyncSession, project: Project, name: str) -> None:
    key = normalize_tag(name)
    if key in FLAG_TAGS:
        setattr(project, FLAG_TAGS[key], False)
        return
    project.tag_keys = [k for k in project.tag_keys or () if k != key]
    tag_ids = select(Tag.id).where(Tag.key == key).scalar_subquery()
    await session.execute(
        delete(ProjectTag).where(
            ProjectTag.project_id == project.id, ProjectTag.tag_id == tag_ids
        )
    )


async def replace_tags(
    session: AsyncSession, project: Project, names: Iterable[str]
) -> None:
    names = list(names)
    project.nsfw = project.nsfl = False
    project.tag_keys = []
    await session.execute(delete(ProjectTag).where(ProjectTag.project_id == project.id))
    await add_tags(session, project, names, has_tags=False)


async def names_by_project(
    session: AsyncSession, project_ids: Sequence[int]
) -> dict[int, list[str]]:
    if not project_ids:
        return {}
    stmt = (
        select(ProjectTag.project_id, Tag.name)
        .join(Tag, Tag.id == ProjectTag.tag_id)
        .where(ProjectTag.project_id.in_(project_ids))
        .order_by(ProjectTag.project_id, Tag.key)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for project_id, name in await session.execute(stmt):
        found[project_id].append(name)
    return found


def plain_keys(names: Iterable[str]) -> list[str]:
    """The keys of the names that are tags rather than content flags."""
    return sorted({normalize_tag(n) for n in names} - set(FLAG_TAGS))


def topics(project: Project, tag_names: list[str]) -> list[str]:
    """A project's topics as clients read them: tags plus the set flags."""
    flags = [
        name for name, on in (("NSFW", project.nsfw), ("NSFL", project.nsfl)) if on
    ]
    return [*tag_names, *flags]
