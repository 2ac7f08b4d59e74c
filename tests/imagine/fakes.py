"""Image servers that speak the APIs of AUTOMATIC1111, ComfyUI and OpenAI on
loopback, making real PNGs with Pillow; a ``Behaviour`` tells them to misbehave."""

import asyncio
import base64
import io
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Mode = str
"""ok, refuse, slow, malformed, broken (HTTP 500) or fail (ComfyUI: run error)."""


@dataclass
class Behaviour:
    mode: Mode = "ok"
    delay: float = 0.0
    calls: list[dict[str, Any]] = field(default_factory=list)
    api_key: str | None = None


def png(width: int = 64, height: int = 64, seed: int = 0) -> bytes:
    color = (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256)
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def b64png(width: int = 64, height: int = 64, seed: int = 0) -> str:
    return base64.b64encode(png(width, height, seed)).decode()


async def _misbehave(behaviour: Behaviour) -> Response | None:
    # Slow until the delay is over or the test changes the mode.
    waited = 0.0
    while behaviour.mode == "slow" and waited < behaviour.delay:
        await asyncio.sleep(0.05)
        waited += 0.05
    if behaviour.mode == "broken":
        return JSONResponse({"error": "internal"}, status_code=500)
    return None


# AUTOMATIC1111 ------------------------------------------------------------------


def automatic1111_app(behaviour: Behaviour) -> Starlette:
    async def generate(request: Request) -> Response:
        body = await request.json()
        behaviour.calls.append({"path": request.url.path, "body": body})
        if (failure := await _misbehave(behaviour)) is not None:
            return failure
        if behaviour.mode == "refuse":
            return JSONResponse(
                {"error": "HTTPException", "detail": "Sampler not found"},
                status_code=404,
            )
        if behaviour.mode == "malformed":
            count = body.get("batch_size", 1)
            return JSONResponse({"images": ["this is not base64 PNG data!"] * count})
        if request.url.path.endswith("img2img"):
            Image.open(io.BytesIO(base64.b64decode(body["init_images"][0]))).verify()
        size = (body["width"], body["height"])
        images = [b64png(*size, seed=i) for i in range(body.get("batch_size", 1))]
        return JSONResponse(
            {"images": images, "parameters": body, "info": json.dumps({"seed": 1})}
        )

    return Starlette(
        routes=[
            Route("/sdapi/v1/txt2img", generate, methods=["POST"]),
            Route("/sdapi/v1/img2img", generate, methods=["POST"]),
        ]
    )


# ComfyUI ------------------------------------------------------------------------


def comfyui_app(behaviour: Behaviour) -> Starlette:
    prompts: dict[str, dict[str, Any]] = {}
    polls: dict[str, int] = {}

    async def queue_prompt(request: Request) -> Response:
        body = await request.json()
        behaviour.calls.append({"path": "/prompt", "body": body})
        if (failure := await _misbehave(behaviour)) is not None:
            return failure
        if behaviour.mode == "refuse":
            return JSONResponse(
                {
                    "error": {
                        "type": "prompt_outputs_failed_validation",
                        "message": "Prompt outputs failed validation",
                    },
                    "node_errors": {"4": {"errors": ["ckpt_name not in list"]}},
                },
                status_code=400,
            )
        prompt_id = str(uuid.uuid4())
        prompts[prompt_id] = body["prompt"]
        polls[prompt_id] = 0
        return JSONResponse({"prompt_id": prompt_id, "number": 1, "node_errors": {}})

    async def history(request: Request) -> Response:
        prompt_id = request.path_params["prompt_id"]
        polls[prompt_id] = polls.get(prompt_id, 0) + 1
        if prompt_id not in prompts or polls[prompt_id] < 2:
            return JSONResponse({})  # still running
        if behaviour.mode == "fail":
            status = {
                "status_str": "error",
                "completed": False,
                "messages": [
                    ["execution_error", {"exception_message": "CUDA out of memory"}]
                ],
            }
            return JSONResponse({prompt_id: {"outputs": {}, "status": status}})
        graph = prompts[prompt_id]
        latent = next(
            n for n in graph.values() if n["class_type"] == "EmptyLatentImage"
        )
        count = int(latent["inputs"]["batch_size"])
        images = [
            {
                "filename": f"{prompt_id}_{i}_{latent['inputs']['width']}x"
                f"{latent['inputs']['height']}.png",
                "subfolder": "",
                "type": "output",
            }
            for i in range(count)
        ]
        images.append({"filename": "preview.png", "subfolder": "", "type": "temp"})
        entry = {
            "prompt": [1, prompt_id, graph, {}, ["9"]],
            "outputs": {"9": {"images": images}},
            "status": {"status_str": "success", "completed": True, "messages": []},
        }
        return JSONResponse({prompt_id: entry})

    async def view(request: Request) -> Response:
        if behaviour.mode == "malformed":
            return Response(b"<html>not an image</html>", media_type="image/png")
        name = request.query_params["filename"]
        width, height = name.rsplit("_", 1)[1].removesuffix(".png").split("x")
        return Response(png(int(width), int(height)), media_type="image/png")

    async def upload(request: Request) -> Response:
        async with request.form() as form:
            upload = form["image"]
            assert not isinstance(upload, str)
            Image.open(io.BytesIO(await upload.read())).verify()
            name = upload.filename
        behaviour.calls.append({"path": "/upload/image", "name": name})
        return JSONResponse({"name": name, "subfolder": "", "type": "input"})

    return Starlette(
        routes=[
            Route("/prompt", queue_prompt, methods=["POST"]),
            Route("/history/{prompt_id}", history),
            Route("/view", view),
            Route("/upload/image", upload, methods=["POST"]),
        ]
    )


# OpenAI -------------------------------------------------------------------------


def openai_app(behaviour: Behaviour) -> Starlette:
    async def check(request: Request) -> Response | None:
        expected = f"Bearer {behaviour.api_key}" if behaviour.api_key else None
        if expected and request.headers.get("authorization") != expected:
            return JSONResponse(
                {"error": {"message": "Incorrect API key provided"}}, status_code=401
            )
        if (failure := await _misbehave(behaviour)) is not None:
            return failure
        if behaviour.mode == "refuse":
            return JSONResponse(
                {
                    "error": {
                        "message": "Your request was rejected by the safety system.",
                        "type": "invalid_request_error",
                    }
                },
                status_code=400,
            )
        if behaviour.mode == "malformed":
            return JSONResponse({"created": 1, "data": "nope"})
        return None

    def answer(request: Request, n: int, size: str) -> Response:
        width, height = (int(v) for v in size.split("x"))
        if behaviour.mode == "url":
            base = str(request.base_url).rstrip("/")
            data = [{"url": f"{base}/files/{width}x{height}.png"} for _ in range(n)]
        else:
            data = [{"b64_json": b64png(width, height, i)} for i in range(n)]
        return JSONResponse({"created": int(time.time()), "data": data})

    async def generations(request: Request) -> Response:
        body = await request.json()
        behaviour.calls.append({"path": "generations", "body": body})
        if (failure := await check(request)) is not None:
            return failure
        return answer(request, int(body.get("n", 1)), body["size"])

    async def edits(request: Request) -> Response:
        async with request.form() as form:
            image = form["image"]
            assert not isinstance(image, str)
            Image.open(io.BytesIO(await image.read())).verify()
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            masked = "mask" in form
        behaviour.calls.append({"path": "edits", "body": fields, "mask": masked})
        if (failure := await check(request)) is not None:
            return failure
        return answer(request, int(fields.get("n", "1")), fields["size"])

    async def files(request: Request) -> Response:
        width, height = request.path_params["size"].split("x")
        return Response(png(int(width), int(height)), media_type="image/png")

    return Starlette(
        routes=[
            Route("/v1/images/generations", generations, methods=["POST"]),
            Route("/v1/images/edits", edits, methods=["POST"]),
            Route("/files/{size}.png", files),
        ]
    )


# Running one -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FakeServer:
    """A Starlette app served by uvicorn in a thread on a loopback port."""

    def __init__(self, app: Starlette, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "FakeServer":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the fake server did not start"
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
