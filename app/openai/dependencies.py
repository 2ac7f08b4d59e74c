"""The app's language-model backend, made on first use."""

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request

from app.config import Settings
from app.openai.backend import Backend
from app.openai.local import LocalBackend
from app.openai.upstream import UpstreamBackend


def llm_backend(app: FastAPI) -> Backend:
    """The upstream when one is configured, the local model otherwise (tests
    put their own in ``app.state.llm_backend`` first)."""
    state: Any = app.state
    backend: Backend | None = getattr(state, "llm_backend", None)
    if backend is None:
        settings: Settings = state.settings
        if settings.llm_base_url:
            backend = UpstreamBackend(settings)
        else:
            backend = LocalBackend(settings)
        state.llm_backend = backend
    return backend


async def close_llm_backend(app: FastAPI) -> None:
    backend: Backend | None = getattr(app.state, "llm_backend", None)
    if backend is not None:
        await backend.aclose()


def get_llm_backend(request: Request) -> Backend:
    return llm_backend(request.app)


BackendDep = Annotated[Backend, Depends(get_llm_backend)]
