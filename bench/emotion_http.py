"""/api/infer/emotion over HTTP: one short text, and 32 concurrent clients.

Two servers run side by side with the default MiniLM classifier: one batches
concurrent requests (the defaults: up to 32 texts queued meanwhile), the other makes
one model call per request (``ROSTRO_EMOTION_MAX_BATCH=1``, how a plain
pipeline serves them). Rounds alternate between the two, so that load from
other processes on the machine falls on both alike; the load average is printed
because it moves every figure here.

    .venv/bin/python -m bench.emotion_http [--rounds 3] [--requests 480]
"""

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import time
from pathlib import Path

import httpx

from bench.common import Server, report, running_server

EVAL_PATH = Path(__file__).parent / "data" / "emotion_eval.jsonl"
URL = "/api/infer/emotion"
SHORT = "I am very happy today!"
CLIENTS = 32
SHORT_CHARS = 60
BASE_SETTINGS = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
UNBATCHED = {**BASE_SETTINGS, "ROSTRO_EMOTION_MAX_BATCH": "1"}


def role_play_lines() -> list[str]:
    """The evaluation lines: short and long messages of the kind characters say
    (only sent to the server here, never trained on)."""
    lines = EVAL_PATH.read_text().splitlines()
    return [json.loads(line)["text"] for line in lines if line]


def headers(server: Server) -> dict[str, str]:
    return {"CH-API-KEY": server.key}


def one_text(server: Server, count: int) -> list[float]:
    """Sequential requests of one short text on a kept-alive connection."""
    timings = []
    with httpx.Client(base_url=server.base_url, headers=headers(server)) as client:
        for _ in range(count):
            started = time.perf_counter()
            response = client.post(URL, json={"text": SHORT})
            timings.append(time.perf_counter() - started)
            response.raise_for_status()
    return timings


async def concurrent(server: Server, texts: list[str], total: int) -> float:
    """Requests per second with CLIENTS clients each sending one text at a time."""
    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(
        base_url=server.base_url, headers=headers(server), limits=limits, timeout=120
    ) as client:

        async def worker(offset: int) -> None:
            for i in range(offset, total, CLIENTS):
                response = await client.post(URL, json={"text": texts[i % len(texts)]})
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker(offset) for offset in range(CLIENTS)))
        return total / (time.perf_counter() - started)


def warm_up(server: Server) -> None:
    # The first request loads the model (seconds); it is not what is measured.
    httpx.post(
        f"{server.base_url}{URL}", json={"text": SHORT}, headers=headers(server),
        timeout=300,
    ).raise_for_status()  # fmt: skip
    one_text(server, 20)


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=480)
    parser.add_argument("--single", type=int, default=200)
    args = parser.parse_args()
    lines = role_play_lines()
    workloads = {
        f"lines <= {SHORT_CHARS} chars": [t for t in lines if len(t) <= SHORT_CHARS],
        "all evaluation lines": lines,
    }
    print(f"{os.cpu_count()} cores, {load()}")

    with contextlib.ExitStack() as stack:
        servers = {
            "batched": stack.enter_context(
                running_server("--no-worker", settings=BASE_SETTINGS)
            ),
            "one call each": stack.enter_context(
                running_server("--no-worker", settings=UNBATCHED)
            ),
        }
        for name, server in servers.items():
            warm_up(server)
            report(f"one short text, {name}", one_text(server, args.single))
        for workload, texts in workloads.items():
            compare(servers, workload, texts, args.rounds, args.requests)
    print(load())


def compare(
    servers: dict[str, Server], workload: str, texts: list[str], rounds: int, total: int
) -> None:
    """Throughput of each server on ``texts``, in alternating rounds."""
    print(f"{workload} ({len(texts)} distinct), {CLIENTS} clients:")
    rates: dict[str, list[float]] = {name: [] for name in servers}
    for _ in range(rounds):
        for name, server in servers.items():
            rate = asyncio.run(concurrent(server, texts, total))
            rates[name].append(rate)
            print(f"  {name:14s} {rate:6.1f} req/s  ({load()})")
    medians = {name: statistics.median(values) for name, values in rates.items()}
    ratio = medians["batched"] / medians["one call each"]
    summary = ", ".join(f"{name} {value:.1f} req/s" for name, value in medians.items())
    print(f"  medians: {summary}; batched / one call each: {ratio:.2f}x")


if __name__ == "__main__":
    main()
