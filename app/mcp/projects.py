"""Characters and lorebooks for tools and resources: found by path, summarised."""

from collections.abc import Sequence

from app.mcp.context import Hub
from app.mcp.schemas import ProjectSummary
from app.models import Project
from app.projects.access import (
    CHARACTERS,
    LOREBOOKS,
    get_readable,
    get_readable_by_path,
)
from app.projects.errors import ProjectNotFound, WrongProjectKind
from app.projects.nodes import build_nodes
from app.projects.schemas import ProjectNode

MAX_DESCRIPTION = 1000


async def find_project(hub: Hub, path: str, kind: str | None) -> Project:
    """A project the caller may read, by `creator/slug`,
    `lorebooks/creator/slug`, `characters/creator/slug` or id."""
    path = path.strip().strip("/")
    if path.isdigit() and len(path) < 19:
        project = await get_readable(hub.session, int(path), hub.caller)
    else:
        parts = path.split("/")
        if len(parts) == 3 and parts[0] in (CHARACTERS, LOREBOOKS):
            kind, parts = kind or parts[0], parts[1:]
        if len(parts) != 2:
            raise ProjectNotFound(f"No project at `{path}`.")
        project = await get_readable_by_path(
            hub.session, parts[0], parts[1], hub.caller, kind
        )
    if kind is not None and project.kind != kind:
        raise WrongProjectKind(f"`{path}` is not one of the {kind}.")
    return project


async def summaries(hub: Hub, projects: Sequence[Project]) -> list[ProjectSummary]:
    nodes = await build_nodes(
        hub.session, projects, caller=hub.caller, base_url=hub.base_url
    )
    return [_summary(node) for node in nodes]


async def summary(hub: Hub, project: Project) -> ProjectSummary:
    return (await summaries(hub, [project]))[0]


def _summary(node: ProjectNode) -> ProjectSummary:
    is_character = node.projectSpace == CHARACTERS
    return ProjectSummary(
        id=node.id,
        path=node.fullPath,
        kind=node.projectSpace,
        name=node.name,
        tagline=node.tagline,
        description=node.description[:MAX_DESCRIPTION],
        tags=node.topics,
        n_tokens=node.nTokens,
        downloads=node.starCount,
        rating=node.rating if node.ratingCount else None,
        nsfw=node.nsfw,
        chat_model=f"character/{node.fullPath}" if is_character else None,
    )
