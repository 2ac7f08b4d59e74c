"""The embedded model behind /v1 when no upstream is configured.

Loaded on first use, in a thread. Generation runs in a thread too, one request
at a time (a generation already uses every core), and streams text to the
event loop as it is made. A client that goes away stops its generation.
"""

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import anyio
import structlog

from app.config import Settings
from app.openai.backend import Call, Stream
from app.openai.errors import LocalModelUnavailable, UnsupportedParameter
from app.openai.streaming import DONE, Answer, StopFilter, Usage, error_event

if TYPE_CHECKING:
    from app.openai.generation import LoadedModel, Sampling

log = structlog.get_logger(__name__)

PACKAGED_NAME = "SmolLM2-135M-Instruct"


class Run:
    """One generation: its text as it comes, then why it ended and its usage."""

    def __init__(
        self,
        loaded: "LoadedModel",
        call: Call,
        sampling: "Sampling",
        turn: asyncio.Semaphore,
    ) -> None:
        self.loaded = loaded
        self.call = call
        self.sampling = sampling
        self.turn = turn
        self.stop = threading.Event()
        self.filter = StopFilter(call.params.stops())
        self.usage = Usage()
        self.finish = "stop"

    async def pieces(self) -> AsyncIterator[str]:
        async with self.turn:
            from app.openai import generation

            loop = asyncio.get_running_loop()
            queue: asyncio.Queue[str | None] = asyncio.Queue()
            messages = (
                self.call.messages if self.call.endpoint == "chat/completions" else None
            )
            inputs = generation.encode(
                self.loaded, messages, self.call.prompt, self.sampling.max_new_tokens
            )
            self.usage.prompt_tokens = int(inputs["input_ids"].shape[1])
            streamer = generation.QueueStreamer(self.loaded.tokenizer, loop, queue)
            task = asyncio.ensure_future(
                asyncio.to_thread(
                    generation.generate,
                    self.loaded,
                    inputs,
                    self.sampling,
                    streamer,
                    self.stop,
                )
            )
            # A failed generation never ends its stream; this ends it anyway.
            task.add_done_callback(lambda _: queue.put_nowait(None))
            try:
                async for piece in self._filtered(queue):
                    yield piece
                await task
            finally:
                self.stop.set()
                # The next generation waits until this one has left the cores.
                with anyio.CancelScope(shield=True):
                    await asyncio.wait([task])
            self.usage.completion_tokens = streamer.new_tokens
            if (
                not self.filter.stopped
                and streamer.new_tokens >= self.sampling.max_new_tokens
            ):
                self.finish = "length"

    async def _filtered(self, queue: "asyncio.Queue[str | None]") -> AsyncIterator[str]:
        while (text := await queue.get()) is not None:
            out = self.filter.feed(text)
            if out:
                yield out
            if self.filter.stopped:
                self.stop.set()
                return
        tail = self.filter.flush()
        if tail:
            yield tail


class LocalBackend:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.name = PACKAGED_NAME
        if settings.llm_local_model:
            self.name = settings.llm_local_model.rstrip("/").rsplit("/", 1)[-1]
            self.name = self.name.removesuffix(".gguf")
        self._loaded: LoadedModel | None = None
        self._load_lock = asyncio.Lock()
        self._turn = asyncio.Semaphore(1)

    async def models(self) -> list[str]:
        return [self.name]

    async def default_model(self) -> str:
        return self.name

    async def loaded(self) -> "LoadedModel":
        async with self._load_lock:
            if self._loaded is None:
                from app.openai import generation

                try:
                    self._loaded = await asyncio.to_thread(
                        generation.load, self.settings
                    )
                except (OSError, ValueError, ImportError) as error:
                    log.error("openai.local_model_failed", error=str(error))
                    raise LocalModelUnavailable(str(error)) from error
            return self._loaded

    async def _run(self, call: Call) -> Run:
        from app.openai.generation import Sampling

        if (call.params.n or 1) > 1:
            raise UnsupportedParameter(
                "n", "The local model makes one answer at a time."
            )
        loaded = await self.loaded()
        sampling = Sampling(
            max_new_tokens=_reply_budget(call) or self.settings.llm_max_tokens,
            temperature=call.params.temperature,
            top_p=call.params.top_p,
            seed=call.params.seed,
        )
        return Run(loaded, call, sampling, self._turn)

    async def complete(self, call: Call) -> bytes:
        run = await self._run(call)
        text = "".join([piece async for piece in run.pieces()])
        answer = Answer(call.model, chat=call.endpoint == "chat/completions")
        return json.dumps(answer.whole(text, run.finish, run.usage)).encode()

    async def open_stream(self, call: Call) -> Stream:
        run = await self._run(call)

        async def close() -> None:
            run.stop.set()

        return Stream(_events(run, call), close)

    async def aclose(self) -> None:
        self._loaded = None


def _reply_budget(call: Call) -> int | None:
    budget = getattr(call.params, "reply_budget", None)
    return budget() if callable(budget) else call.params.max_tokens


async def _events(run: Run, call: Call) -> AsyncIterator[bytes]:
    answer = Answer(call.model, chat=call.endpoint == "chat/completions")
    options = call.params.stream_options
    if answer.chat:
        yield answer.chunk("", first=True)
    try:
        async for piece in run.pieces():
            yield answer.chunk(piece)
    except Exception:
        log.exception("openai.local_generation_failed")
        yield error_event("The local model failed while answering.", 500)
        return
    yield answer.chunk(None if answer.chat else "", finish=run.finish)
    if options is not None and options.include_usage:
        yield answer.usage_chunk(run.usage)
    yield DONE
