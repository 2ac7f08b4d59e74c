from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query

from app.auth.dependencies import CurrentUser
from app.configs import service
from app.configs.schemas import (
    ConfigList,
    ConfigRead,
    ConfigsDelete,
    ConfigsFetch,
    ConfigsUpsert,
)
from app.db import SessionDep
from app.kit.schemas import Success, success

router = APIRouter(tags=["User Account"])

KeyParam = Annotated[str, Path(min_length=1, max_length=200)]


@router.post("/config/{config_id}/{sub_id}")
async def upsert_config(
    config_id: KeyParam,
    sub_id: KeyParam,
    session: SessionDep,
    user: CurrentUser,
    body: Annotated[Any, Body()] = None,
) -> Success:
    """Upsert a config"""
    # Compat: the value comes as {"value": ...}; a body without that key is taken
    # as the value itself.
    value = body["value"] if isinstance(body, dict) and "value" in body else body
    await service.upsert(session, user, [(config_id, sub_id, value)])
    return success()


@router.delete("/config/{config_id}/{sub_id}")
async def delete_config(
    config_id: KeyParam, sub_id: KeyParam, session: SessionDep, user: CurrentUser
) -> Success:
    """Delete config"""
    await service.delete_one(session, user, config_id, sub_id)
    return success()


@router.post("/config")
async def upsert_configs(
    body: ConfigsUpsert, session: SessionDep, user: CurrentUser
) -> Success:
    """Upsert configs"""
    items = [(c.config_id, c.sub_id, c.value) for c in body.configs]
    await service.upsert(session, user, items)
    return success(count=len(items))


@router.delete("/config")
async def delete_configs(
    body: ConfigsDelete, session: SessionDep, user: CurrentUser
) -> Success:
    """Delete configs"""
    deleted = await service.delete_many(session, user, body.config_ids)
    return success(deleted=deleted)


@router.post("/config/fetch")
async def fetch_configs(
    session: SessionDep, user: CurrentUser, body: ConfigsFetch | None = None
) -> ConfigList:
    """Read back configs, all of them or those of the given config ids."""
    config_ids = body.config_ids if body is not None else None
    rows = await service.fetch(session, user, config_ids)
    return ConfigList(configs=[ConfigRead.model_validate(r) for r in rows])


@router.get("/config")
async def list_configs(
    session: SessionDep,
    user: CurrentUser,
    config_id: Annotated[list[str] | None, Query(max_length=200)] = None,
) -> ConfigList:
    """Read back configs, all of them or those of the given `config_id`s."""
    rows = await service.fetch(session, user, config_id)
    return ConfigList(configs=[ConfigRead.model_validate(r) for r in rows])
