"""The FastAPI application: lifespan, middleware, routers and error handlers."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_fastapi_instrumentator import Instrumentator

from app.accounts.router import router as accounts_router
from app.auth.dependencies import authenticate
from app.cards.router import router as cards_router
from app.config import Settings, get_settings
from app.configs.router import router as configs_router
from app.db import create_engine, create_sessionmaker
from app.emotion.dependencies import close_emotion
from app.emotion.router import router as emotion_router
from app.errors import install_error_handlers
from app.favorites.router import router as favorites_router
from app.gallery.router import router as gallery_router
from app.imagine.dependencies import job_queue
from app.imagine.router import router as imagine_router
from app.imagine.runtime import reap_forever
from app.kit.body_limit import BodyLimitMiddleware
from app.kit.ratelimit import RateLimitMiddleware
from app.kit.redis import create_redis
from app.logging import RequestContextMiddleware, configure_logging
from app.lore.router import router as lore_router
from app.mcp.server import mount_mcp, running_mcp
from app.media.backend import create_storage
from app.media.router import router as media_router
from app.openai.dependencies import close_llm_backend
from app.openai.router import router as openai_router
from app.projects.router import router as projects_router
from app.ratings.router import router as ratings_router
from app.search.router import router as search_router
from app.social.router import router as social_router
from app.system.router import router as system_router
from app.tags.router import router as tags_router

API_VERSION = "0.5.9"

OPENAPI_TAGS = [
    {"name": "Read-Only", "description": "Reads that work without a key."},
    {"name": "Projects", "description": "Characters and lorebooks."},
    {"name": "Chat", "description": "Creating and linking characters."},
    {"name": "User Account", "description": "Your account and preferences."},
    {"name": "Lore", "description": "Retrieval over lorebooks and texts."},
    {"name": "Imagine", "description": "Image generation."},
    {"name": "Unstable", "description": "Endpoints that may still change."},
    {"name": "System", "description": "Health and metrics of this server."},
]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    if not hasattr(app.state, "engine"):
        app.state.engine = create_engine(settings)
        app.state.sessionmaker = create_sessionmaker(app.state.engine)
    if not hasattr(app.state, "redis"):
        app.state.redis = create_redis(settings)
    # Jobs of workers that died are put back or failed even with no beat running.
    reaper = asyncio.create_task(
        reap_forever(app.state.sessionmaker, settings, job_queue(app))
    )
    try:
        async with running_mcp(app):
            yield
    finally:
        await close_llm_backend(app)
        reaper.cancel()
        await close_emotion(app)
        await app.state.redis.aclose()
        await app.state.engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    app = FastAPI(
        title="Rostro API",
        version=API_VERSION,
        description="A self-hosted hub for AI role-play characters and lorebooks.",
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
        # Every route resolves the caller, so that a bad key is a 401 everywhere.
        dependencies=[Depends(authenticate)],
    )
    app.state.settings = settings
    app.state.storage = create_storage(settings)

    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.rate_limit_enabled:
        app.add_middleware(RateLimitMiddleware, settings=settings)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["*"],
        allow_headers=["CH-API-KEY", "samwise", "Authorization", "Content-Type"],
        expose_headers=["X-Request-ID"],
    )
    app.add_middleware(RequestContextMiddleware)

    for router in (
        system_router,
        accounts_router,
        configs_router,
        media_router,
        cards_router,
        # Before the projects' routes: /api/characters/search is not an id.
        search_router,
        projects_router,
        tags_router,
        ratings_router,
        favorites_router,
        lore_router,
        emotion_router,
        imagine_router,
        gallery_router,
        social_router,
        openai_router,
    ):
        app.include_router(router)
    mount_mcp(app)
    _install_metrics(app)
    return app


def _install_metrics(app: FastAPI) -> None:
    # A registry per app rather than the global one, so that several apps in
    # one process (as in the tests) each count their own requests.
    registry = CollectorRegistry()
    for collector in (GCCollector, PlatformCollector, ProcessCollector):
        collector(registry=registry)
    Instrumentator(excluded_handlers=["/metrics"], registry=registry).instrument(
        app
    ).expose(app, endpoint="/metrics", include_in_schema=False)
