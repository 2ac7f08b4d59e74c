"""Imagine's job machinery with an instant back end: the latency of
`POST /imagine?return_immediate=true`, and how fast 500 jobs queued at once all
finish with 1, 2 and 4 worker processes.

Run: .venv/bin/python -m bench.imagine
"""

import asyncio
import base64
import io
import subprocess
import threading
import time
from typing import Any

import httpx
import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.common import ROSTRO, Server, free_port, report, running_server

LATENCY_REQUESTS = 300
BURST = 500
WORKER_COUNTS = (1, 2, 4)


def _tiny_png() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 80, 40)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def instant_automatic1111() -> str:
    """An AUTOMATIC1111 API that answers at once; its URL."""
    image = _tiny_png()

    async def txt2img(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse({"images": [image] * body.get("batch_size", 1)})

    app = Starlette(routes=[Route("/sdapi/v1/txt2img", txt2img, methods=["POST"])])
    port = free_port()
    config = uvicorn.Config(app, port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}"


def _latency(server: Server) -> list[float]:
    timings = []
    with httpx.Client(base_url=server.base_url, headers=_headers(server)) as client:
        for i in range(LATENCY_REQUESTS + 20):
            started = time.perf_counter()
            response = client.post(
                "/imagine?return_immediate=true", json={"prompt": f"bench {i}"}
            )
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text
            if i >= 20:  # warm-up
                timings.append(elapsed)
    return timings


def _headers(server: Server) -> dict[str, str]:
    return {"CH-API-KEY": server.key}


async def _burst(server: Server) -> tuple[float, int, int]:
    """Queue BURST jobs at once; seconds until all ended, done, failed."""
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(
        base_url=server.base_url, headers=_headers(server), limits=limits, timeout=60
    ) as client:
        started = time.perf_counter()
        responses = await asyncio.gather(
            *(
                client.post(
                    "/imagine?return_immediate=true", json={"prompt": f"burst {i}"}
                )
                for i in range(BURST)
            )
        )
        wanted = {r.json()["generation_uuid"] for r in responses}
        while True:
            done, failed = await _count_done(client, wanted)
            if done + failed == len(wanted):
                return time.perf_counter() - started, done, failed
            await asyncio.sleep(0.2)


async def _count_done(client: httpx.AsyncClient, wanted: set[str]) -> tuple[int, int]:
    done = failed = 0
    uuids = sorted(wanted)
    for start in range(0, len(uuids), 100):
        body: dict[str, Any] = {"generation_uuids": uuids[start : start + 100]}
        body["first"] = 100
        items = (await client.post("/imagine/history", json=body)).json()["items"]
        done += sum(1 for i in items if i["is_done"] and not i["is_failed"])
        failed += sum(1 for i in items if i["is_failed"])
    return done, failed


def _run(backend_url: str, workers: int) -> tuple[list[float], float, int, int]:
    settings = {
        "ROSTRO_IMAGINE_BACKEND": "automatic1111",
        "ROSTRO_IMAGINE_URL": backend_url,
        "ROSTRO_IMAGINE_RETRIES": "0",
        "ROSTRO_WORKER_CONCURRENCY": str(workers),
    }
    with running_server(settings=settings) as server:
        subprocess.run(
            [*ROSTRO, "users", "credit", "bench", "1000000"],
            env=server.env, check=True, capture_output=True,
        )  # fmt: skip
        timings = _latency(server) if workers == 1 else []
        seconds, done, failed = asyncio.run(_burst(server))
    return timings, seconds, done, failed


def main() -> None:
    backend_url = instant_automatic1111()
    rates = {}
    for workers in WORKER_COUNTS:
        timings, seconds, done, failed = _run(backend_url, workers)
        if timings:
            report("POST /imagine return_immediate", timings)
        rates[workers] = BURST / seconds
        print(
            f"{BURST} jobs with {workers} worker process(es): {done} done, "
            f"{failed} failed in {seconds:6.2f} s = {rates[workers]:6.1f} jobs/s"
        )
    for workers in WORKER_COUNTS[1:]:
        ratio = rates[workers] / rates[1]
        print(f"completion rate, {workers} workers / 1 worker: {ratio:4.2f}x")


if __name__ == "__main__":
    main()
