"""What the /v1 routes ask of a language model, upstream or local."""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from app.openai.schemas import GenerationParams

Endpoint = Literal["chat/completions", "completions"]


@dataclass
class Call:
    """One generation: the body an upstream receives, and the same request
    parsed for the local model."""

    endpoint: Endpoint
    body: dict[str, Any]
    params: GenerationParams
    # The name the client asked for, reported back in local answers.
    model: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    prompt: str = ""


@dataclass
class Stream:
    """Server-sent event bytes, and how to stop producing them early."""

    chunks: AsyncIterator[bytes]
    close: Callable[[], Awaitable[None]]


class Backend(Protocol):
    async def models(self) -> list[str]:
        """The names of the models it serves."""
        ...

    async def default_model(self) -> str:
        """The model that plays characters."""
        ...

    async def complete(self, call: Call) -> bytes:
        """The whole answer as OpenAI's JSON."""
        ...

    async def open_stream(self, call: Call) -> Stream:
        """The answer as OpenAI's chunks; errors before the first byte raise."""
        ...

    async def aclose(self) -> None: ...
