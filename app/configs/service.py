"""Per-user configs: JSON values that clients save under (config_id, sub_id)."""

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import AppError, NotFound
from app.models import User, UserConfig

MAX_VALUE_BYTES = 1024 * 1024


class ConfigTooLarge(AppError):
    status_code = 413


class ConfigNotFound(NotFound):
    pass


def _check_size(config_id: str, value: Any) -> None:
    size = len(json.dumps(value, ensure_ascii=False).encode())
    if size > MAX_VALUE_BYTES:
        raise ConfigTooLarge(
            f"The value of config {config_id!r} is {size} bytes; the limit is 1 MB."
        )


async def upsert(
    session: AsyncSession, user: User, items: Sequence[tuple[str, str, Any]]
) -> None:
    """Write every (config_id, sub_id, value), or none of them."""
    for config_id, _, value in items:
        _check_size(config_id, value)
    if not items:
        return
    rows = [
        {"user_id": user.id, "config_id": c, "sub_id": s, "value": v}
        for c, s, v in _last_per_key(items)
    ]
    stmt = insert(UserConfig).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "config_id", "sub_id"],
        set_={"value": stmt.excluded.value, "updated_at": func.now()},
    )
    await session.execute(stmt)


def _last_per_key(
    items: Sequence[tuple[str, str, Any]],
) -> list[tuple[str, str, Any]]:
    # One INSERT cannot touch a row twice; the last write of a key wins.
    latest = {(c, s): (c, s, v) for c, s, v in items}
    return list(latest.values())


async def delete_one(
    session: AsyncSession, user: User, config_id: str, sub_id: str
) -> None:
    stmt = (
        delete(UserConfig)
        .where(
            UserConfig.user_id == user.id,
            UserConfig.config_id == config_id,
            UserConfig.sub_id == sub_id,
        )
        .returning(UserConfig.config_id)
    )
    if (await session.execute(stmt)).first() is None:
        raise ConfigNotFound(f"No config {config_id!r}/{sub_id!r}.")


async def delete_many(session: AsyncSession, user: User, config_ids: list[str]) -> int:
    """Delete every sub-config of these config ids; returns how many went."""
    stmt = (
        delete(UserConfig)
        .where(UserConfig.user_id == user.id, UserConfig.config_id.in_(config_ids))
        .returning(UserConfig.config_id)
    )
    return len((await session.execute(stmt)).all())


async def fetch(
    session: AsyncSession, user: User, config_ids: list[str] | None = None
) -> Sequence[UserConfig]:
    stmt = select(UserConfig).where(UserConfig.user_id == user.id)
    if config_ids is not None:
        stmt = stmt.where(UserConfig.config_id.in_(config_ids))
    stmt = stmt.order_by(UserConfig.config_id, UserConfig.sub_id)
    return (await session.execute(stmt)).scalars().all()
