import asyncio
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.dependencies import authenticate
from app.config import Settings
from app.emotion import dependencies
from app.emotion.batcher import EmotionBatcher
from app.emotion.classifier import EmbeddingEmotionClassifier, Scores
from app.emotion.dependencies import close_emotion, get_emotion_batcher
from app.emotion.labels import COARSE, LABELS
from app.emotion.service import MAX_CHARS, tail_chars
from app.lore.embedder import load_embedder
from tests.emotion.test_transformers import save_tiny_model
from tests.factories import Caller, create_user

URL = "/api/infer/emotion"


def app_of(client: AsyncClient) -> FastAPI:
    app: FastAPI = client._transport.app  # type: ignore[attr-defined]
    return app


@pytest.fixture(scope="module")
async def batcher(
    classifier: EmbeddingEmotionClassifier,
) -> AsyncIterator[EmotionBatcher]:
    batcher = EmotionBatcher(classifier)
    yield batcher
    await batcher.close()


@pytest.fixture
async def caller(session: AsyncSession) -> Caller:
    return await create_user(session)


@pytest.fixture
def real(client: AsyncClient, batcher: EmotionBatcher) -> AsyncClient:
    """The client, its app answering with the real MiniLM classifier."""
    app_of(client).dependency_overrides[get_emotion_batcher] = lambda: batcher
    return client


@pytest.fixture
async def built(client: AsyncClient) -> AsyncIterator[FastAPI]:
    """The client's app, for tests that let it build its own classifier."""
    app = app_of(client)
    yield app
    await close_emotion(app)


async def infer(client: AsyncClient, caller: Caller, body: Any) -> Any:
    response = await client.post(URL, json=body, headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()


def assert_emotion_shape(body: dict[str, Any]) -> None:
    assert body["emotion"] == body["label"]
    assert body["confidence"] == body["score"]
    emotions = body["emotions"]
    assert sorted(e["label"] for e in emotions) == sorted(LABELS)
    assert emotions[0] == {"label": body["label"], "score": body["score"]}
    scores = [e["score"] for e in emotions]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= score <= 1.0 for score in scores)


class Counting:
    """A classifier that answers every text with the same ranking and counts
    its calls; slow enough that requests queue up behind a running batch."""

    def __init__(self, delay: float = 0.02) -> None:
        self.calls: list[list[str]] = []
        self.delay = delay
        self._lock = threading.Lock()

    def classify(self, texts: list[str]) -> list[Scores]:
        with self._lock:
            self.calls.append(list(texts))
        time.sleep(self.delay)
        ranked = [(label, 1.0 / (i + 1)) for i, label in enumerate(LABELS)]
        return [ranked for _ in texts]


class TestOneText:
    @pytest.mark.parametrize(
        ("text", "label"),
        [
            ("I am very happy today!", "joy"),
            ("Thank you so much, you saved my life.", "gratitude"),
            ("Get out of my house! I hate you!", "anger"),
            ("Please don't leave me alone in the dark, I'm scared.", "fear"),
            ("Ugh, that smells disgusting.", "disgust"),
            ("The train leaves at noon from platform two.", "neutral"),
        ],
    )
    async def test_clear_sentences(
        self, real: AsyncClient, caller: Caller, text: str, label: str
    ) -> None:
        body = await infer(real, caller, {"text": text})

        assert body["emotion"] == label
        assert body["confidence"] > 0.5

    async def test_all_28_labels_highest_first(
        self, real: AsyncClient, caller: Caller
    ) -> None:
        body = await infer(real, caller, {"text": "I am very happy today!"})

        assert set(body) == {"emotion", "confidence", "label", "score", "emotions"}
        assert_emotion_shape(body)

    async def test_unknown_fields_are_ignored(
        self, real: AsyncClient, caller: Caller
    ) -> None:
        body = await infer(real, caller, {"text": "Wow!", "model": "x", "top_k": 3})

        assert_emotion_shape(body)

    async def test_a_long_message_is_read_at_its_end(
        self, real: AsyncClient, caller: Caller
    ) -> None:
        narration = "She walked along the road and looked at the fields. " * 2000
        text = f"{narration}\nI miss her every single day since she died."

        body = await infer(real, caller, {"text": text})

        assert COARSE[body["emotion"]] == "sadness"
        assert_emotion_shape(body)

    async def test_a_long_word_without_spaces(
        self, real: AsyncClient, caller: Caller
    ) -> None:
        body = await infer(real, caller, {"text": "a" * 100_000})

        assert_emotion_shape(body)

    @pytest.mark.parametrize(
        "text",
        [
            "Je suis tellement heureux aujourd'hui !",
            "私はとても悲しいです。",
            "Мне очень страшно.",
            "😭😭😭",
            "🎉",
            "...",
        ],
    )
    async def test_any_language_and_emoji_get_an_answer(
        self, real: AsyncClient, caller: Caller, text: str
    ) -> None:
        body = await infer(real, caller, {"text": text})

        assert_emotion_shape(body)


class TestManyTexts:
    async def test_results_in_the_order_sent(
        self, real: AsyncClient, caller: Caller
    ) -> None:
        texts = [
            "Ugh, that smells disgusting.",
            "I am very happy today!",
            "Get out of my house! I hate you!",
            "Thank you so much, you saved my life.",
        ]

        body = await infer(real, caller, {"texts": texts})

        assert set(body) == {"results"}
        labels = [result["emotion"] for result in body["results"]]
        assert labels == ["disgust", "joy", "anger", "gratitude"]
        for result in body["results"]:
            assert_emotion_shape(result)

    async def test_same_scores_as_one_at_a_time(
        self, real: AsyncClient, caller: Caller
    ) -> None:
        texts = ["Wow, I never expected that!", "I love you more than anything."]

        together = await infer(real, caller, {"texts": texts})
        alone = [await infer(real, caller, {"text": text}) for text in texts]

        for batched, single in zip(together["results"], alone, strict=True):
            assert batched["emotion"] == single["emotion"]
            assert batched["score"] == pytest.approx(single["score"], abs=1e-4)

    async def test_64_texts(self, real: AsyncClient, caller: Caller) -> None:
        texts = [f"Message number {i}, and I am glad." for i in range(64)]

        body = await infer(real, caller, {"texts": texts})

        assert len(body["results"]) == 64


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "loc"),
        [
            ({"text": ""}, ["body", "text"]),
            ({"text": "  \n\t "}, ["body", "text"]),
            ({"texts": ["fine", " "]}, ["body", "texts", 1]),
            ({"texts": []}, ["body", "texts"]),
            ({"texts": ["x"] * 65}, ["body", "texts"]),
            ({"text": 5}, ["body", "text"]),
            ({"text": "a", "texts": ["b"]}, ["body"]),
            ({}, ["body"]),
        ],
    )
    async def test_422(
        self, real: AsyncClient, caller: Caller, body: Any, loc: list[Any]
    ) -> None:
        response = await real.post(URL, json=body, headers=caller.headers)

        assert response.status_code == 422
        detail = response.json()["detail"]
        assert [error["loc"] for error in detail] == [loc]
        assert all(error["msg"] and error["type"] for error in detail)

    async def test_no_body(self, real: AsyncClient, caller: Caller) -> None:
        response = await real.post(URL, headers=caller.headers)

        assert response.status_code == 422


class TestAuthentication:
    async def test_anonymous_is_401(self, real: AsyncClient) -> None:
        response = await real.post(URL, json={"text": "Hello!"})

        assert response.status_code == 401
        assert response.json()["errorCode"] == 401

    async def test_bad_key_is_401(self, real: AsyncClient) -> None:
        response = await real.post(
            URL, json={"text": "Hello!"}, headers={"Authorization": "Bearer nope"}
        )

        assert response.status_code == 401
        assert response.json()["code"] == 401

    async def test_anonymous_call_loads_no_model(
        self, client: AsyncClient, built: FastAPI
    ) -> None:
        response = await client.post(URL, json={"text": "Hello!"})

        assert response.status_code == 401
        assert getattr(built.state, "emotion_batcher", None) is None

    async def test_bearer_key(self, real: AsyncClient, caller: Caller) -> None:
        response = await real.post(
            URL,
            json={"text": "Hello!"},
            headers={"Authorization": f"Bearer {caller.key}"},
        )

        assert response.status_code == 200


class TestOpenApi:
    async def test_tagged_unstable(self, client: AsyncClient) -> None:
        schema = (await client.get("/openapi.json")).json()

        operation = schema["paths"][URL]["post"]
        assert operation["tags"] == ["Unstable"]
        assert operation["summary"] == "Infer Emotion"


class TestBuiltClassifier:
    async def test_default_shares_lores_minilm(
        self, client: AsyncClient, built: FastAPI, caller: Caller, settings: Settings
    ) -> None:
        body = await infer(client, caller, {"text": "I am very happy today!"})

        assert body["emotion"] == "joy"
        assert dependencies.shared_minilm(settings) is load_embedder(settings).model

    def test_own_minilm_beside_another_lore_model(self, settings: Settings) -> None:
        other = settings.model_copy(update={"embedding_model": "/models/e5"})

        assert dependencies.shared_minilm(other) is None

    async def test_transformers_model_from_settings(
        self,
        client: AsyncClient,
        built: FastAPI,
        caller: Caller,
        settings: Settings,
        tmp_path: Path,
    ) -> None:
        path = save_tiny_model(tmp_path, LABELS, "multi_label_classification")
        built.state.settings = settings.model_copy(update={"emotion_model": path})

        body = await infer(client, caller, {"texts": ["I'm so happy!", "😭"]})

        for result in body["results"]:
            assert_emotion_shape(result)
            # Independent sigmoids of a random model sit near 0.5 each; the
            # MiniLM classifier's softmax would sum to 1.
            assert sum(e["score"] for e in result["emotions"]) > 2.0

    async def test_unloadable_model_is_503(
        self,
        client: AsyncClient,
        built: FastAPI,
        caller: Caller,
        settings: Settings,
        tmp_path: Path,
    ) -> None:
        built.state.settings = settings.model_copy(update={"emotion_model": tmp_path})

        response = await client.post(URL, json={"text": "Hi"}, headers=caller.headers)

        assert response.status_code == 503
        assert response.json()["errorCode"] == 503
        assert "emotion model" in response.json()["detail"]


class TestBatching:
    @pytest.fixture
    def counting(
        self,
        built: FastAPI,
        caller: Caller,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> Counting:
        counting = Counting()
        monkeypatch.setattr(dependencies, "load_classifier", lambda _: counting)
        built.state.settings = settings.model_copy(
            update={"emotion_max_batch": 32, "emotion_max_wait_ms": 10.0}
        )
        # Concurrent requests would share the test's one database session
        # (which must never serve two tasks), so the caller is resolved
        # without it.
        built.dependency_overrides[authenticate] = lambda: caller.user
        return counting

    async def post_many(self, client: AsyncClient, count: int) -> list[Any]:
        responses = await asyncio.gather(
            *(client.post(URL, json={"text": f"text {i}"}) for i in range(count))
        )
        assert all(r.status_code == 200 for r in responses)
        return [r.json() for r in responses]

    async def test_concurrent_requests_share_model_calls(
        self, client: AsyncClient, counting: Counting
    ) -> None:
        bodies = await self.post_many(client, 64)

        assert len(counting.calls) <= 8
        texts = sorted(text for call in counting.calls for text in call)
        assert texts == sorted(f"text {i}" for i in range(64))
        assert all(body["emotion"] == LABELS[0] for body in bodies)

    async def test_one_call_per_request_with_max_batch_1(
        self, client: AsyncClient, built: FastAPI, counting: Counting
    ) -> None:
        settings: Settings = built.state.settings
        built.state.settings = settings.model_copy(update={"emotion_max_batch": 1})

        await self.post_many(client, 16)

        assert len(counting.calls) == 16

    async def test_texts_of_one_request_share_calls(
        self, client: AsyncClient, counting: Counting
    ) -> None:
        texts = [f"text {i}" for i in range(64)]

        response = await client.post(URL, json={"texts": texts})

        assert response.status_code == 200
        assert [len(call) for call in counting.calls] == [32, 32]


class TestTailChars:
    def test_short_text_is_kept(self) -> None:
        assert tail_chars("Hello there.") == "Hello there."

    def test_long_text_keeps_its_end_from_a_word(self) -> None:
        text = "alpha beta gamma " * 1000 + "The end!"

        tail = tail_chars(text)

        assert len(tail) <= MAX_CHARS
        assert tail.endswith("The end!")
        assert tail.split()[0] in {"alpha", "beta", "gamma"}

    def test_one_long_word_is_cut(self) -> None:
        assert tail_chars("x" * (MAX_CHARS + 10)) == "x" * MAX_CHARS
