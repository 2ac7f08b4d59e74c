"""Micro-batching of emotion requests.

Concurrent requests each want one text classified; running them one by one
wastes the model's batching and makes them queue for the CPU anyway. The batcher
gathers what arrives within a few milliseconds (or until a batch is full), runs
one ``classify`` call for the lot on its own worker thread, and hands each
caller its own result.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from app.emotion.classifier import EmotionClassifier, Scores


class BatcherClosed(RuntimeError):
    """The batcher was closed; no more texts are taken."""


@dataclass
class _Request:
    text: str
    future: "asyncio.Future[Scores]" = field(repr=False)


_STOP = None


class EmotionBatcher:
    """Groups concurrent :meth:`classify` calls into batches for ``classifier``.

    A batch closes ``max_wait`` seconds after its first text arrives, or as soon
    as it holds ``max_batch`` texts. Batches run one at a time on a single
    worker thread, so texts that arrive meanwhile form the next batch. An
    exception from the classifier is raised to every caller of that batch.
    """

    def __init__(
        self,
        classifier: EmotionClassifier,
        *,
        max_batch: int = 32,
        max_wait: float = 0.003,
    ) -> None:
        if max_batch < 1 or max_wait < 0:
            raise ValueError("max_batch must be at least 1 and max_wait not negative")
        self._classifier = classifier
        self._max_batch = max_batch
        self._max_wait = max_wait
        self._queue: asyncio.Queue[_Request | None] = asyncio.Queue()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="emotion")
        self._worker: asyncio.Task[None] | None = None
        self._closed = False

    async def classify(self, text: str) -> Scores:
        """All 28 labels for ``text`` with their scores, highest first."""
        if self._closed:
            raise BatcherClosed("the emotion batcher is closed")
        future: asyncio.Future[Scores] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Request(text, future))
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="emotion-batcher")
        return await future

    async def close(self) -> None:
        """Take no more texts, finish those already queued, stop the worker."""
        if self._closed:
            return
        self._closed = True
        if self._worker is not None:
            self._queue.put_nowait(_STOP)
            await self._worker
        self._executor.shutdown(wait=False)

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            if first is _STOP:
                return
            batch, stop = await self._collect(first)
            await self._process(batch)
            if stop:
                return

    async def _collect(self, first: _Request) -> tuple[list[_Request], bool]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._max_wait
        batch = [first]
        while len(batch) < self._max_batch:
            if self._queue.empty():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    async with asyncio.timeout(remaining):
                        request = await self._queue.get()
                except TimeoutError:
                    break
            else:
                # Texts that queued up while the last batch ran join at once.
                request = self._queue.get_nowait()
            if request is _STOP:
                return batch, True
            batch.append(request)
        return batch, False

    async def _process(self, batch: list[_Request]) -> None:
        # A caller that gave up (cancelled) needs no answer and costs no work.
        live = [request for request in batch if not request.future.done()]
        if not live:
            return
        loop = asyncio.get_running_loop()
        texts = [request.text for request in live]
        try:
            results = await loop.run_in_executor(
                self._executor, self._classifier.classify, texts
            )
            if len(results) != len(live):
                raise RuntimeError(
                    f"classifier returned {len(results)} results for {len(live)} texts"
                )
        except Exception as error:
            # Whatever went wrong belongs to every caller of this batch.
            for request in live:
                if not request.future.done():
                    request.future.set_exception(error)
            return
        for request, scores in zip(live, results, strict=True):
            if not request.future.done():
                request.future.set_result(scores)
