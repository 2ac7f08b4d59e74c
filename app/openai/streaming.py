"""OpenAI's answer objects and server-sent events, for answers made here."""

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from app.errors import openai_error_body

DONE = b"data: [DONE]\n\n"


def sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"


def error_event(message: str, status_code: int) -> bytes:
    """An error after the stream began: OpenAI's SDKs raise on it."""
    return sse(openai_error_body(message, status_code))


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }


@dataclass
class Answer:
    """The identity of one answer, shared by its chunks."""

    model: str
    chat: bool
    id: str = ""
    created: int = field(default_factory=lambda: int(time.time()))

    def __post_init__(self) -> None:
        prefix = "chatcmpl-" if self.chat else "cmpl-"
        self.id = self.id or prefix + secrets.token_hex(12)

    def _envelope(self, chunk: bool) -> dict[str, Any]:
        if self.chat:
            kind = "chat.completion.chunk" if chunk else "chat.completion"
        else:
            kind = "text_completion"
        return {
            "id": self.id,
            "object": kind,
            "created": self.created,
            "model": self.model,
        }

    def chunk(
        self, text: str | None, finish: str | None = None, first: bool = False
    ) -> bytes:
        if self.chat:
            delta: dict[str, Any] = {"role": "assistant"} if first else {}
            if text is not None:
                delta["content"] = text
            choice: dict[str, Any] = {"index": 0, "delta": delta}
        else:
            choice = {"index": 0, "text": text or ""}
        choice.update(logprobs=None, finish_reason=finish)
        return sse({**self._envelope(True), "choices": [choice]})

    def usage_chunk(self, usage: Usage) -> bytes:
        return sse({**self._envelope(True), "choices": [], "usage": usage.as_dict()})

    def whole(self, text: str, finish: str, usage: Usage) -> dict[str, Any]:
        if self.chat:
            message = {"role": "assistant", "content": text, "refusal": None}
            choice: dict[str, Any] = {"index": 0, "message": message}
        else:
            choice = {"index": 0, "text": text}
        choice.update(logprobs=None, finish_reason=finish)
        return {**self._envelope(False), "choices": [choice], "usage": usage.as_dict()}


class StopFilter:
    """Passes text on until a stop sequence appears, holding back the tail that
    could be the start of one, so that no part of a stop sequence is sent."""

    def __init__(self, stops: list[str]) -> None:
        self.stops = [s for s in stops if s]
        self.hold = max((len(s) for s in self.stops), default=1) - 1
        self.pending = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        if self.stopped:
            return ""
        self.pending += text
        cut = min(
            (i for s in self.stops if (i := self.pending.find(s)) >= 0), default=-1
        )
        if cut >= 0:
            self.stopped = True
            out, self.pending = self.pending[:cut], ""
            return out
        keep = min(self.hold, len(self.pending))
        out = self.pending[: len(self.pending) - keep]
        self.pending = self.pending[len(out) :]
        return out

    def flush(self) -> str:
        out, self.pending = ("" if self.stopped else self.pending), ""
        return out
