"""The MCP server at /mcp: streamable HTTP, stateless, keyed like the API.

Stateless, with JSON answers: no tool here needs the server to call the client
back, and a stateless server works the same behind several API workers.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from mcp.server import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from app.auth.dependencies import authenticate
from app.errors import Unauthorized, error_response
from app.mcp import resources
from app.mcp.context import USER_ID_KEY
from app.mcp.tools import TOOLS

INSTRUCTIONS = (
    "Rostro is a hub of role-play characters and lorebooks. Search them, read "
    "their cards and lore, classify a message's emotion and generate images. "
    "A character's `chat_model` is the model name that chats as it over the "
    "hub's OpenAI-compatible /v1 API."
)
# Tool names where the function's own name would shadow an import.
TOOL_NAMES = {"list_tag_names": "list_tags"}


def build_server(app: FastAPI) -> MCPServer[FastAPI]:
    @asynccontextmanager
    async def lifespan(_: MCPServer[FastAPI]) -> AsyncIterator[FastAPI]:
        # Tools reach the app (its sessionmaker, settings, models) through this.
        yield app

    server: MCPServer[FastAPI] = MCPServer(
        "rostro", instructions=INSTRUCTIONS, lifespan=lifespan, log_level="WARNING"
    )
    for tool in TOOLS:
        server.add_tool(tool, name=TOOL_NAMES.get(tool.__name__, tool.__name__))
    json_type = "application/json"
    server.resource(resources.CHARACTER_URI, mime_type=json_type)(
        resources.read_character
    )
    server.resource(resources.LOREBOOK_URI, mime_type=json_type)(
        resources.read_lorebook
    )
    return server


class McpEndpoint:
    """The ASGI app at /mcp: resolves the caller's key, then hands over to the
    SDK's transport with the caller's id in the request's state."""

    def __init__(
        self, manager: StreamableHTTPSessionManager, require_key: bool
    ) -> None:
        self.manager = manager
        self.require_key = require_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        try:
            user_id = await self._caller(request)
        except Unauthorized as error:
            response = error_response(error.message, 401, error.headers)
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})[USER_ID_KEY] = user_id
        await self.manager.handle_request(scope, receive, send)

    async def _caller(self, request: Request) -> int | None:
        app: FastAPI = request.app
        async with app.state.sessionmaker() as session:
            user = await authenticate(request, session)
            await session.commit()
        if user is None and self.require_key:
            raise Unauthorized("The MCP server of this hub needs an API key.")
        return user.id if user else None


def mount_mcp(app: FastAPI) -> None:
    server = build_server(app)
    # Keys, not cookies, carry identity here, so a rebound DNS name gains a
    # page nothing it could not have asked for anyway; Host checks would only
    # break deployments behind a proxy.
    security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    server.streamable_http_app(
        stateless_http=True, json_response=True, transport_security=security
    )
    app.state.mcp = server
    settings = app.state.settings
    endpoint = McpEndpoint(server.session_manager, settings.mcp_require_key)
    app.router.routes.append(Route("/mcp", endpoint, include_in_schema=False))


@asynccontextmanager
async def running_mcp(app: FastAPI) -> AsyncIterator[None]:
    """The MCP session manager's task group, for the app's lifespan."""
    server: MCPServer[FastAPI] = app.state.mcp
    async with server.session_manager.run():
        yield
