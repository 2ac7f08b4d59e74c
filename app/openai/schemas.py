"""Request and response shapes of the /v1 API, as OpenAI's clients send and read.

Request models keep unknown fields (``extra="allow"``): an upstream server may
understand parameters this hub has never heard of (``top_k``, ``tools``,
``response_format``), and they are forwarded as they came.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_MESSAGES = 1000
MAX_STOPS = 4


class Message(BaseModel):
    """A chat message; `content` may be OpenAI's list of typed parts."""

    model_config = ConfigDict(extra="allow")

    role: Annotated[str, Field(max_length=32)]
    content: str | list[dict[str, Any]] | None = None
    name: Annotated[str, Field(max_length=100)] | None = None

    def text(self) -> str:
        """The message's text, its non-text parts left out."""
        if isinstance(self.content, str):
            return self.content
        parts = self.content or []
        return "".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class GenerationParams(BaseModel):
    """The sampling parameters both endpoints share."""

    model_config = ConfigDict(extra="allow")

    model: Annotated[str, Field(min_length=1, max_length=300)]
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: Annotated[int, Field(ge=1)] | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(gt=0, le=1)] | None = None
    stop: str | Annotated[list[str], Field(max_length=MAX_STOPS)] | None = None
    seed: int | None = None
    n: Annotated[int, Field(ge=1, le=128)] | None = None
    user: Annotated[str, Field(max_length=256)] | None = None

    def stops(self) -> list[str]:
        if self.stop is None:
            return []
        stops = [self.stop] if isinstance(self.stop, str) else self.stop
        return [s for s in stops if s]


class ChatCompletionRequest(GenerationParams):
    messages: Annotated[list[Message], Field(min_length=1, max_length=MAX_MESSAGES)]
    # Newer clients name the reply budget this way.
    max_completion_tokens: Annotated[int, Field(ge=1)] | None = None

    def reply_budget(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens


class CompletionRequest(GenerationParams):
    prompt: str | Annotated[list[str], Field(min_length=1, max_length=1)]

    def prompt_text(self) -> str:
        return self.prompt if isinstance(self.prompt, str) else self.prompt[0]

    def reply_budget(self) -> int | None:
        return self.max_tokens


class ModelRead(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str
    name: str | None = None
    description: str | None = None


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelRead]
    has_more: bool = False
    # The `after` of the next page, when there is one.
    next_cursor: str | None = None
