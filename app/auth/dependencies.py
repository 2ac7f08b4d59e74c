"""Who is calling: the key from any of the four headers clients send."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

import structlog
from fastapi import Depends, Request
from sqlalchemy import bindparam, select
from starlette.datastructures import Headers

from app.auth.keys import hash_key
from app.db import SessionDep
from app.errors import Unauthorized
from app.models import ApiKey, User

# How stale `last_used_at` may get before a request refreshes it; refreshing on
# every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)

# Built once: every request with a key runs it.
KEY_LOOKUP = (
    select(ApiKey, User)
    .join(User, User.id == ApiKey.user_id)
    .where(ApiKey.key_hash == bindparam("digest"), ApiKey.revoked_at.is_(None))
)


def key_from_headers(headers: Headers) -> str | None:
    """The API key of a request, or None when it carries none."""
    # Compat: clients send the key as CH-API-KEY, samwise, a Bearer token or a
    # bare Authorization value, often in two of these at once.
    for name in ("ch-api-key", "samwise"):
        value = headers.get(name, "").strip()
        if value:
            return value
    authorization = headers.get("authorization", "").strip()
    if not authorization:
        return None
    scheme, _, rest = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return rest.strip() or None
    return authorization


async def authenticate(request: Request, session: SessionDep) -> User | None:
    """The calling user; None for anonymous calls; 401 for a bad key."""
    key = key_from_headers(request.headers)
    if key is None:
        return None

    row = (await session.execute(KEY_LOOKUP, {"digest": hash_key(key)})).first()
    if row is None:
        raise Unauthorized("Invalid or revoked API key.")

    api_key, user = row
    now = datetime.now(UTC)
    if (
        api_key.last_used_at is None
        or now - api_key.last_used_at > LAST_USED_RESOLUTION
    ):
        api_key.last_used_at = now
    structlog.contextvars.bind_contextvars(user_id=user.id)
    return user


async def require_user(user: Annotated[User | None, Depends(authenticate)]) -> User:
    if user is None:
        raise Unauthorized(
            "Authentication required: send your API key in the CH-API-KEY header "
            "or as `Authorization: Bearer <key>`."
        )
    return user


OptionalUser = Annotated[User | None, Depends(authenticate)]
CurrentUser = Annotated[User, Depends(require_user)]
