"""The versions of a project's definition, as the v4 repository API lists them."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound
from app.models import Project, ProjectVersion


def _commit(sha: str, at: Any, title: str) -> dict[str, object]:
    stamp = at.isoformat()
    return {
        "id": sha,
        "short_id": sha[:8],
        "title": title,
        "message": title,
        "created_at": stamp,
        "authored_date": stamp,
        "committed_date": stamp,
    }


async def list_versions(
    session: AsyncSession, project: Project
) -> list[dict[str, object]]:
    stmt = (
        select(ProjectVersion.sha, ProjectVersion.created_at)
        .where(ProjectVersion.project_id == project.id)
        .order_by(ProjectVersion.created_at.desc(), ProjectVersion.id.desc())
    )
    older = [(row[0], row[1]) for row in await session.execute(stmt)]
    commits = [_commit(project.version_sha, project.version_at, "Current version")]
    commits += [_commit(sha, at, "Earlier version") for sha, at in older]
    return commits


async def version_definition(
    session: AsyncSession, project: Project, ref: str
) -> dict[str, Any]:
    """The definition at `ref`: main (or HEAD) or a full or short version id."""
    if ref in ("main", "master", "HEAD") or project.version_sha.startswith(ref):
        definition: dict[str, Any] = project.definition
        return definition
    stmt = select(ProjectVersion.definition).where(
        ProjectVersion.project_id == project.id,
        ProjectVersion.sha.startswith(ref)
        if len(ref) >= 7
        else ProjectVersion.sha == ref,
    )
    found = (await session.execute(stmt.limit(1))).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No version {ref!r} of this project.")
    result: dict[str, Any] = found
    return result
