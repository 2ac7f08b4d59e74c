"""Domain errors and the one place where error bodies are rendered.

Every error body but a validation error has the shape real clients of the hosted
service read: ``{"detail", "error", "errorCode", "code"}``. Validation errors keep
FastAPI's ``{"detail": [{"loc", "msg", "type"}]}``. Under ``/v1``, the OpenAI mimic,
every error is OpenAI's ``{"error": {"message", "type", "param", "code"}}``.
"""

import errno
import json
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger(__name__)


class AppError(Exception):
    """Base of every error a service may raise; carries its HTTP status."""

    status_code: int = 400
    headers: dict[str, str] | None = None

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code

    def extra_fields(self) -> dict[str, Any]:
        """Fields a subclass adds to the error body, beside the four common ones."""
        return {}


class BadRequest(AppError):
    status_code = 400


class InvalidInput(AppError):
    """Input that parsed but cannot be used (an unreadable card, say): a 422 in
    the validation shape, pointing at the offending part of the request."""

    status_code = 422

    def __init__(self, message: str, loc: tuple[str | int, ...] = ("body",)) -> None:
        super().__init__(message)
        self.loc = loc


class Unauthorized(AppError):
    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class PayloadTooLarge(AppError):
    status_code = 413


class ServiceUnavailable(AppError):
    status_code = 503


def error_body(message: str, status_code: int) -> dict[str, Any]:
    # Compat: clients read `detail` or `error` for the text and `errorCode` or
    # `code` for the status, so all four are sent.
    return {
        "detail": message,
        "error": message,
        "errorCode": status_code,
        "code": status_code,
    }


def error_response(
    message: str,
    status_code: int,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {**error_body(message, status_code), **(extra or {})},
        status_code=status_code,
        headers=dict(headers) if headers else None,
    )


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    if isinstance(exc, InvalidInput):
        # Compat: a 422 always has FastAPI's validation shape.
        item = {"loc": list(exc.loc), "msg": exc.message, "type": "value_error"}
        return JSONResponse({"detail": [item]}, status_code=422)
    return error_response(exc.message, exc.status_code, exc.headers, exc.extra_fields())


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else None
    if not message:
        message = HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and exc.detail == "Not Found":
        message = f"No such path: {request.method} {request.url.path}"
    return error_response(message, exc.status_code, exc.headers)


# A refused value is echoed back up to this many characters, not a whole
# 20,000-character query.
ECHOED_INPUT = 200


def _echoed(value: Any) -> Any:
    if isinstance(value, str) and len(value) > ECHOED_INPUT:
        return value[:ECHOED_INPUT] + "…"
    return value


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {k: _echoed(v) if k == "input" else v for k, v in error.items() if k != "url"}
        for error in exc.errors()
    ]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


def _sqlstate(exc: DBAPIError) -> str:
    for candidate in (exc.orig, getattr(exc.orig, "__cause__", None)):
        state = getattr(candidate, "sqlstate", None)
        if isinstance(state, str):
            return state
    return ""


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    state = _sqlstate(exc)
    if state.startswith("22") or state == "54000":
        # A value PostgreSQL refuses (a NUL character in text, a number out of
        # range, a text too long for its search vector) is bad input that
        # validation did not catch.
        log.warning("request.data_error", sqlstate=state)
        return error_response(
            "The request contains a value the database cannot take (a NUL"
            " character, a number out of range or a text too long).",
            400,
        )
    if state.startswith("23"):
        log.warning("request.integrity_error", sqlstate=state)
        return error_response("The request conflicts with existing data.", 409)
    if exc.connection_invalidated or state.startswith(("08", "57P")):
        log.warning("request.database_unavailable", sqlstate=state)
        return error_response("The database is unavailable; try again shortly.", 503)
    log.error("request.database_error", sqlstate=state, exc_info=exc)
    return error_response("Internal server error.", 500)


# Out of disk: the server's fault, and no retry soon will help.
NO_SPACE = {errno.ENOSPC, errno.EDQUOT}


async def _os_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OSError)
    if exc.errno in NO_SPACE:
        log.error("request.out_of_space", error=type(exc).__name__)
        return error_response("The server is out of storage space.", 507)
    if isinstance(exc, PermissionError):
        # The server's files or sockets set up wrong: a fault, not an outage.
        return await _unexpected_error(request, exc)
    # A socket refused, missing or timing out (asyncio reports several failed
    # addresses as a bare OSError): the database or another server is down or
    # restarting, which a retry outlives.
    log.warning("request.server_unreachable", error=type(exc).__name__)
    return error_response(
        "A server this request needs is unavailable; try again shortly.", 503
    )


async def _unicode_error(request: Request, exc: Exception) -> JSONResponse:
    # JSON may spell lone surrogates ("\ud800"), which no UTF-8 text can hold.
    log.warning("request.unicode_error")
    return error_response("The request contains text that is not valid Unicode.", 400)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("request.unhandled_error", exc_info=exc)
    return error_response("Internal server error.", 500)


OPENAI_PREFIX = "/v1"
Handler = Callable[[Request, Exception], Awaitable[Response]]


def is_openai_path(path: str) -> bool:
    return path == OPENAI_PREFIX or path.startswith(OPENAI_PREFIX + "/")


def openai_error_body(
    message: str, status_code: int, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """OpenAI's error object, which its SDKs and chat front ends read."""
    if status_code == 401:
        code = code or "invalid_api_key"
    kind = "server_error" if status_code >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _as_openai(exc: Exception, rendered: Response) -> JSONResponse:
    status = rendered.status_code
    detail = json.loads(bytes(rendered.body)).get("detail")
    param = getattr(exc, "param", None)
    if isinstance(detail, list):
        # Compat: OpenAI answers malformed parameters with a 400 naming one.
        status = 400
        first = detail[0] if detail else {}
        param = ".".join(str(p) for p in first.get("loc", [])[1:]) or None
        detail = f"Invalid request: {first.get('msg', 'malformed body')}"
    body = openai_error_body(
        str(detail), status, param, getattr(exc, "openai_code", None)
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def _openai_aware(handler: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        rendered = await handler(request, exc)
        if not is_openai_path(request.url.path):
            return rendered
        return _as_openai(exc, rendered)

    return handle


def install_error_handlers(app: FastAPI) -> None:
    handlers: list[tuple[type[Exception], Handler]] = [
        (AppError, _app_error),
        (StarletteHTTPException, _http_error),
        (RequestValidationError, _validation_error),
        (DBAPIError, _database_error),
        (OSError, _os_error),
        (UnicodeError, _unicode_error),
        (Exception, _unexpected_error),
    ]
    for exc_class, handler in handlers:
        app.add_exception_handler(exc_class, _openai_aware(handler))
