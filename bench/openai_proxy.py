"""/v1 figures: what the proxy adds over a local upstream, and the speed of the
embedded model.

Starts the fake OpenAI-compatible server of the tests (answers at once, no
model) and a `rostro serve` that forwards to it, then times the same requests
sent straight to the upstream and through the hub, alternating, over kept-alive
connections. Finally loads SmolLM2-135M-Instruct in this process and measures
its tokens per second.

    python bench/openai_proxy.py [--requests 300] [--tokens 64]
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from common import free_port, running_server

BODY = {"model": "fake-model", "messages": [{"role": "user", "content": "Hello"}]}
CACHE = Path(tempfile.gettempdir()) / "rostro-llm-cache"


def start_upstream() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "tests.openai.fake_upstream:app",
            "--port", str(port), "--log-level", "warning",
        ],
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{url}/v1/models", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the fake upstream did not start")


def whole(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    client.post(f"{url}/chat/completions", json=BODY).raise_for_status()
    return time.perf_counter() - started


def first_chunk(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    body = {**BODY, "stream": True}
    elapsed = 0.0
    with client.stream("POST", f"{url}/chat/completions", json=body) as response:
        # The rest of the stream is read too, so the connection can be reused.
        for line in response.iter_lines():
            if not elapsed and line.startswith("data: {"):
                elapsed = time.perf_counter() - started
    return elapsed


def compare(
    name: str, measure: object, direct: str, hub: str, key: str, n: int
) -> None:
    assert callable(measure)
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(headers=headers, timeout=30) as client:
        for _ in range(20):  # warm connections and caches
            measure(client, direct), measure(client, hub)
        straight, through = [], []
        for _ in range(n):
            straight.append(measure(client, direct))
            through.append(measure(client, hub))
    p50_direct = statistics.median(straight) * 1000
    p50_hub = statistics.median(through) * 1000
    print(
        f"{name:28s} n={n}  upstream p50 {p50_direct:6.2f} ms  "
        f"through hub p50 {p50_hub:6.2f} ms  added {p50_hub - p50_direct:5.2f} ms"
    )


def proxy_figures(requests: int) -> None:
    upstream, url = start_upstream()
    try:
        settings = {"ROSTRO_LLM_BASE_URL": f"{url}/v1"}
        with running_server("--no-worker", settings=settings) as server:
            hub = f"{server.base_url}/v1"
            compare(
                "non-streamed request", whole, f"{url}/v1", hub, server.key, requests
            )
            compare(
                "time to first chunk",
                first_chunk,
                f"{url}/v1",
                hub,
                server.key,
                requests,
            )
    finally:
        upstream.terminate()
        upstream.wait(10)


def local_figures(tokens: int) -> None:
    from app.config import Settings
    from app.openai import generation

    threads = int(os.environ.get("BENCH_THREADS", "0")) or None
    settings = Settings(llm_local_cache_dir=CACHE, llm_local_threads=threads)
    started = time.perf_counter()
    loaded = generation.load(settings)
    print(f"local model load             {time.perf_counter() - started:6.2f} s")
    messages = [{"role": "user", "content": "Tell me a long story about a lighthouse."}]
    inputs = generation.encode(loaded, messages, "", tokens)
    for run in range(3):
        loop = asyncio.new_event_loop()
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        streamer = generation.QueueStreamer(loaded.tokenizer, loop, queue)
        sampling = generation.Sampling(max_new_tokens=tokens)
        started = time.perf_counter()
        generation.generate(loaded, inputs, sampling, streamer, threading.Event())
        seconds = time.perf_counter() - started
        loop.close()
        rate = streamer.new_tokens / seconds
        made = streamer.new_tokens
        print(f"local model run {run + 1}: {made} tokens in {seconds:5.2f} s", end="")
        print(f" = {rate:5.1f} tokens/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--tokens", type=int, default=64)
    args = parser.parse_args()
    proxy_figures(args.requests)
    local_figures(args.tokens)


if __name__ == "__main__":
    main()
