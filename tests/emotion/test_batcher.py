import asyncio
import threading
import time

import pytest

from app.emotion.batcher import BatcherClosed, EmotionBatcher
from app.emotion.classifier import EmbeddingEmotionClassifier, Scores


class Echo:
    """Answers each text with itself as the only label, recording each call."""

    def __init__(self, delay: float = 0.0, error: Exception | None = None) -> None:
        self.calls: list[list[str]] = []
        self.threads: set[str] = set()
        self.delay = delay
        self.error = error

    def classify(self, texts: list[str]) -> list[Scores]:
        self.calls.append(list(texts))
        self.threads.add(threading.current_thread().name)
        time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return [[(text, 1.0)] for text in texts]


class Short:
    """Answers one result too few."""

    def classify(self, texts: list[str]) -> list[Scores]:
        return [[("joy", 1.0)] for _ in texts[1:]]


class TestGrouping:
    async def test_concurrent_calls_share_few_batches(self) -> None:
        echo = Echo(delay=0.01)
        batcher = EmotionBatcher(echo, max_batch=32, max_wait=0.005)
        texts = [f"text {i}" for i in range(100)]

        results = await asyncio.gather(*(batcher.classify(t) for t in texts))

        await batcher.close()
        assert [scores[0][0] for scores in results] == texts
        assert len(echo.calls) <= 5
        assert sorted(t for call in echo.calls for t in call) == sorted(texts)

    async def test_no_batch_exceeds_the_maximum(self) -> None:
        echo = Echo()
        batcher = EmotionBatcher(echo, max_batch=8, max_wait=0.01)

        await asyncio.gather(*(batcher.classify(str(i)) for i in range(30)))

        await batcher.close()
        assert max(len(call) for call in echo.calls) == 8
        assert len(echo.calls) == 4

    async def test_a_lone_call_is_answered_after_the_wait(self) -> None:
        echo = Echo()
        batcher = EmotionBatcher(echo, max_wait=0.002)

        first = await batcher.classify("one")
        second = await batcher.classify("two")

        await batcher.close()
        assert (first[0][0], second[0][0]) == ("one", "two")
        assert echo.calls == [["one"], ["two"]]

    async def test_runs_on_its_own_worker_thread(self) -> None:
        echo = Echo()
        batcher = EmotionBatcher(echo)

        await batcher.classify("x")

        await batcher.close()
        assert len(echo.threads) == 1
        assert threading.current_thread().name not in echo.threads


class TestErrors:
    async def test_the_error_reaches_every_caller_of_the_batch(self) -> None:
        batcher = EmotionBatcher(Echo(error=ValueError("model broke")), max_wait=0.01)

        results = await asyncio.gather(
            *(batcher.classify(str(i)) for i in range(5)), return_exceptions=True
        )

        await batcher.close()
        assert all(isinstance(r, ValueError) for r in results)

    async def test_later_batches_work_after_an_error(self) -> None:
        echo = Echo(error=RuntimeError("once"))
        batcher = EmotionBatcher(echo)
        with pytest.raises(RuntimeError, match="once"):
            await batcher.classify("first")

        echo.error = None
        scores = await batcher.classify("second")

        await batcher.close()
        assert scores[0][0] == "second"

    async def test_a_wrong_number_of_results_is_an_error(self) -> None:
        batcher = EmotionBatcher(Short())

        with pytest.raises(RuntimeError, match="results"):
            await batcher.classify("x")

        await batcher.close()

    async def test_a_cancelled_caller_does_not_disturb_the_others(self) -> None:
        echo = Echo(delay=0.01)
        batcher = EmotionBatcher(echo, max_wait=0.005)
        doomed = asyncio.create_task(batcher.classify("doomed"))
        kept = asyncio.create_task(batcher.classify("kept"))
        await asyncio.sleep(0)

        doomed.cancel()

        assert (await kept)[0][0] == "kept"
        await batcher.close()

    def test_settings_out_of_range_are_refused(self) -> None:
        with pytest.raises(ValueError, match="max_batch"):
            EmotionBatcher(Echo(), max_batch=0)


class TestClose:
    async def test_no_texts_after_close(self) -> None:
        batcher = EmotionBatcher(Echo())
        await batcher.close()

        with pytest.raises(BatcherClosed):
            await batcher.classify("late")

    async def test_queued_texts_are_answered_before_closing(self) -> None:
        echo = Echo(delay=0.01)
        batcher = EmotionBatcher(echo, max_batch=2)
        tasks = [asyncio.create_task(batcher.classify(str(i))) for i in range(6)]
        await asyncio.sleep(0)

        await batcher.close()

        assert [(await task)[0][0] for task in tasks] == [str(i) for i in range(6)]

    async def test_closing_twice_or_unused_is_fine(self) -> None:
        batcher = EmotionBatcher(Echo())

        await batcher.close()
        await batcher.close()


class TestWithTheRealClassifier:
    async def test_concurrent_requests_get_their_own_scores(
        self, classifier: EmbeddingEmotionClassifier
    ) -> None:
        batcher = EmotionBatcher(classifier)
        texts = ["Thank you so much for your help!", "Ew, that smells rotten."]

        results = await asyncio.gather(*(batcher.classify(t) for t in texts))

        await batcher.close()
        direct = classifier.classify(texts)
        for through, alone in zip(results, direct, strict=True):
            assert through[0][0] == alone[0][0]
            assert dict(through) == pytest.approx(dict(alone), abs=1e-4)
