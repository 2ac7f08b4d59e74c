import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from app.kit.redis import WORKER_HEARTBEAT_PREFIX

router = APIRouter(tags=["System"])

CHECK_TIMEOUT = 2.0


class Check(BaseModel):
    ok: bool
    detail: str | None = None
    workers: list[str] | None = None


class Health(BaseModel):
    status: str
    database: Check
    redis: Check
    worker: Check


async def _check_database(request: Request) -> Check:
    try:
        async with request.app.state.engine.connect() as connection:
            await asyncio.wait_for(
                connection.execute(text("SELECT 1")), timeout=CHECK_TIMEOUT
            )
    except Exception as error:
        return Check(ok=False, detail=type(error).__name__)
    return Check(ok=True)


async def _check_redis_and_workers(request: Request) -> tuple[Check, Check]:
    redis = request.app.state.redis
    try:
        await asyncio.wait_for(redis.ping(), timeout=CHECK_TIMEOUT)
        keys = await redis.keys(WORKER_HEARTBEAT_PREFIX + "*")
        beats = await redis.mget(keys) if keys else []
    except Exception as error:
        failed = Check(ok=False, detail=type(error).__name__)
        return failed, Check(ok=False, detail="Redis is unreachable.")
    names = sorted(json.loads(beat)["hostname"] for beat in beats if beat)
    if not names:
        return Check(ok=True), Check(
            ok=False, detail="No worker is running.", workers=[]
        )
    return Check(ok=True), Check(ok=True, workers=names)


@router.get("/healthz", response_model=Health)
async def healthz(request: Request) -> Any:
    """Report the state of the database, Redis and the background workers."""
    database, (redis, worker) = await asyncio.gather(
        _check_database(request), _check_redis_and_workers(request)
    )
    # Workers only run background jobs: the API serves without them.
    status = "ok" if database.ok and redis.ok and worker.ok else "degraded"
    if not database.ok:
        status = "down"
    health = Health(status=status, database=database, redis=redis, worker=worker)
    return JSONResponse(
        health.model_dump(), status_code=503 if status == "down" else 200
    )


@router.get("/livez")
async def livez() -> dict[str, bool]:
    """Liveness: the process answers (no dependency is checked)."""
    return {"ok": True}
