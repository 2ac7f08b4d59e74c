"""MCP resources: a character or a lorebook by path, as JSON."""

import json

from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from app.mcp.context import ToolContext, hub
from app.mcp.projects import find_project, summary
from app.mcp.schemas import ProjectDetail
from app.projects.access import CHARACTERS, LOREBOOKS

CHARACTER_URI = "rostro://characters/{creator}/{slug}"
LOREBOOK_URI = "rostro://lorebooks/{creator}/{slug}"


async def _read(ctx: ToolContext, creator: str, slug: str, kind: str) -> str:
    async with hub(ctx, failure=ResourceNotFoundError) as h:
        project = await find_project(h, f"{creator}/{slug}", kind)
        found = await summary(h, project)
        detail = ProjectDetail(**found.model_dump(), definition=project.definition)
    return json.dumps(detail.model_dump(mode="json"), ensure_ascii=False)


async def read_character(creator: str, slug: str, ctx: ToolContext) -> str:
    """A character: its page fields and its card."""
    return await _read(ctx, creator, slug, CHARACTERS)


async def read_lorebook(creator: str, slug: str, ctx: ToolContext) -> str:
    """A lorebook: its page fields and its entries."""
    return await _read(ctx, creator, slug, LOREBOOKS)
