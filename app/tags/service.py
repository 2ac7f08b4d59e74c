"""Tags of projects. `NSFW` and `NSFL` are not stored as tags: they set the
project's content flags, and show among its topics while set."""

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Project, ProjectTag, Tag
from app.tags.names import normalize_tag

FLAG_TAGS = {"nsfw": "nsfw", "nsfl": "nsfl"}
MAX_TAGS_PER_PROJECT = 100


def display_name(name: str) -> str:
    return " ".join(name.split())


async def get_or_create(session: AsyncSession, names: Iterable[str]) -> list[Tag]:
    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(normalize_tag(name), display_name(name))
    if not by_key:
        return []
    await session.execute(
        insert(Tag)
        .values([{"key": k, "name": n} for k, n in by_key.items()])
        .on_conflict_do_nothing(index_elements=["key"])
    )
    stmt = select(Tag).where(Tag.key.in_(by_key))
    tags = {tag.key: tag for tag in (await session.execute(stmt)).scalars()}
    return [tags[key] for key in by_key]


async def add_tags(
    session: AsyncSession, project: Project, names: Iterable[str]
) -> None:
    """Tag a project; flag names set its content flags instead."""
    plain = []
    for name in names:
        key = normalize_tag(name)
        if key in FLAG_TAGS:
            setattr(project, FLAG_TAGS[key], True)
        else:
            plain.append(name)
    tags = await get_or_create(session, plain)
    if not tags:
        return
    await session.execute(
        insert(ProjectTag)
        .values([{"project_id": project.id, "tag_id": tag.id} for tag in tags])
        .on_conflict_do_nothing()
    )


async def remove_tag(session: AsyncSession, project: Project, name: str) -> None:
    key = normalize_tag(name)
    if key in FLAG_TAGS:
        setattr(project, FLAG_TAGS[key], False)
        return
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
    await session.execute(delete(ProjectTag).where(ProjectTag.project_id == project.id))
    await add_tags(session, project, names)


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


def topics(project: Project, tag_names: list[str]) -> list[str]:
    """A project's topics as clients read them: tags plus the set flags."""
    flags = [
        name for name, on in (("NSFW", project.nsfw), ("NSFL", project.nsfl)) if on
    ]
    return [*tag_names, *flags]
