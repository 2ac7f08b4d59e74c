"""Who may see and change a project.

Private projects are invisible to everyone but their creator (404, not 403, so
that their existence does not leak); unlisted ones are reachable by path or id
but never listed; changes are for the creator alone (403).
"""

from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Project, User
from app.projects.errors import NotProjectOwner, ProjectNotFound

CHARACTERS = "characters"
LOREBOOKS = "lorebooks"


def can_read(project: Project, caller: User | None) -> bool:
    if project.visibility != "private":
        return True
    return caller is not None and caller.id == project.creator_id


def readable(project: Any, caller: User | None) -> ColumnElement[bool]:
    """`can_read` in SQL, for the Project entity or an alias of it."""
    visible: ColumnElement[bool] = project.visibility != "private"
    if caller is None:
        return visible
    return or_(visible, project.creator_id == caller.id)


async def get_readable(
    session: AsyncSession, project_id: int, caller: User | None
) -> Project:
    project = await session.get(Project, project_id)
    if project is None or not can_read(project, caller):
        raise ProjectNotFound
    return project


async def get_owned(session: AsyncSession, project_id: int, user: User) -> Project:
    """The project, for a change by its creator: 404 when invisible, 403 when
    visible to the caller but not theirs."""
    project = await get_readable(session, project_id, user)
    if project.creator_id != user.id:
        raise NotProjectOwner
    return project


async def find_by_path(
    session: AsyncSession, username: str, pathname: str, kind: str | None
) -> Project | None:
    """A project by its creator's name and its slug or numeric id."""
    stmt = (
        select(Project)
        .join(User, User.id == Project.creator_id)
        .where(func.lower(User.username) == username.lower())
    )
    if pathname.isdigit() and len(pathname) < 19:
        stmt = stmt.where(Project.id == int(pathname))
    else:
        stmt = stmt.where(Project.slug == pathname.lower())
    if kind is not None:
        stmt = stmt.where(Project.kind == kind)
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def get_readable_by_path(
    session: AsyncSession,
    username: str,
    pathname: str,
    caller: User | None,
    kind: str | None = CHARACTERS,
) -> Project:
    project = await find_by_path(session, username, pathname, kind)
    if project is None or not can_read(project, caller):
        raise ProjectNotFound
    return project
