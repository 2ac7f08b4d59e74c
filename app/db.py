"""Engine and session factories, and the per-request session dependency."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from app.config import Settings

AfterCommit = Callable[[], Awaitable[None]]


def async_url(url: str) -> str:
    """The SQLAlchemy asyncpg form of a ``postgresql://`` URL."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("ROSTRO_DATABASE_URL must be a postgresql:// URL")


def database_url(settings: Settings) -> str:
    if settings.database_url is None:
        raise RuntimeError(
            "No database configured: set ROSTRO_DATABASE_URL or start the service "
            "with `rostro serve`, which runs an embedded PostgreSQL."
        )
    return async_url(settings.database_url.get_secret_value())


def create_engine(settings: Settings, *, pooled: bool = True) -> AsyncEngine:
    """An engine for this process; workers pass ``pooled=False`` (one per loop)."""
    url = database_url(settings)
    # Lore's nearest-neighbour queries read these on every connection instead
    # of setting them per transaction (a round trip per query). Iterative
    # scans keep walking the graph when the owner filter drops candidates.
    server_settings = {
        "hnsw.ef_search": str(settings.lore_ef_search),
        "hnsw.iterative_scan": "relaxed_order",
    }
    options: dict[str, Any] = {
        "connect_args": {"server_settings": server_settings},
        # Parameters hold user text and key digests; errors that reach the
        # log show the statement without them.
        "hide_parameters": True,
    }
    if not pooled:
        return create_async_engine(url, poolclass=NullPool, **options)
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        **options,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run ``callback`` once the request's transaction has committed."""
    session.info.setdefault("after_commit", []).append(callback)


async def run_after_commit(session: AsyncSession) -> None:
    callbacks: list[AfterCommit] = session.info.pop("after_commit", [])
    for callback in callbacks:
        await callback()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: committed on success, rolled back on error."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()
        await run_after_commit(session)


# scope="function" commits before the response is sent, so a client never sees
# success for a write that then fails to commit.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
