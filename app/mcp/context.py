"""What a tool call has to work with: the app, a database session, the caller.

Each call opens its own session from the app's sessionmaker, as a request
would, and commits it at the end. Domain errors become tool errors, which the
client sees as a failed call with the message, never as a crash.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.errors import AppError
from app.models import User

# Where the endpoint leaves the caller it resolved, in the request's state.
USER_ID_KEY = "rostro_user_id"

ToolContext = Context[Any, Any]


@dataclass
class Hub:
    app: FastAPI
    session: AsyncSession
    caller: User | None
    # For links in answers (image URLs), as the REST API makes them.
    base_url: str

    @property
    def settings(self) -> Settings:
        settings: Settings = self.app.state.settings
        return settings

    def user(self) -> User:
        """The caller, for tools that act for someone."""
        if self.caller is None:
            raise ToolError(
                "Authentication required (401): connect with your API key as "
                "`Authorization: Bearer <key>` or `CH-API-KEY`."
            )
        return self.caller

    def request(self) -> Request:
        """A request of the app, for the dependencies that find the app's
        models (embedder, emotion batcher) through one."""
        return Request({"type": "http", "app": self.app, "headers": []})


def _app(ctx: ToolContext) -> FastAPI:
    app: FastAPI = ctx.request_context.lifespan_context
    return app


def _http_request(ctx: ToolContext) -> Request | None:
    request = ctx.request_context.request
    return request if isinstance(request, Request) else None


def _caller_id(request: Request | None) -> int | None:
    state = (request.scope.get("state") or {}) if request else {}
    user_id = state.get(USER_ID_KEY)
    return int(user_id) if user_id is not None else None


def _base_url(app: FastAPI, request: Request | None) -> str:
    settings: Settings = app.state.settings
    if settings.public_url:
        return settings.public_url.rstrip("/")
    if request is not None:
        return str(request.base_url).rstrip("/")
    return f"http://{settings.host}:{settings.port}"


@asynccontextmanager
async def hub(
    ctx: ToolContext, failure: type[Exception] = ToolError
) -> AsyncIterator[Hub]:
    """The app, a session and the caller; domain errors raised as ``failure``
    (a tool error, or a resource error for resource reads)."""
    app = _app(ctx)
    request = _http_request(ctx)
    try:
        async with app.state.sessionmaker() as session:
            user_id = _caller_id(request)
            caller = await session.get(User, user_id) if user_id else None
            yield Hub(app, session, caller, _base_url(app, request))
            await session.commit()
    except AppError as error:
        raise failure(f"{error.message} ({error.status_code})") from error
    except ValidationError as error:
        raise failure(f"Invalid arguments: {error.errors()[0]['msg']}") from error
