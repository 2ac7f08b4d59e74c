"""A real HTTP server on loopback that serves images and redirects."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class ImageServer:
    url: str
    """The base URL, ``http://127.0.0.1:<port>``."""
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[tuple[str, str]] = field(default_factory=list)
    """Each request's path and Host header, in order."""

    def image(self, path: str, data: bytes) -> str:
        self.routes[path] = Route(body=data, headers={"Content-Type": "image/png"})
        return self.url + path

    def redirect(self, path: str, location: str) -> str:
        self.routes[path] = Route(302, headers={"Location": location})
        return self.url + path


class _Server(ThreadingHTTPServer):
    block_on_close = False
    site: ImageServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        site = self.server.site
        site.seen.append((self.path, self.headers.get("Host", "")))
        route = site.routes.get(self.path, Route(404, b"not here"))
        time.sleep(route.delay)
        self.send_response(route.status)
        for name, value in route.headers.items():
            self.send_header(name, value)
        # No Content-Length: the body ends when the connection closes, so
        # only the reader's own count can stop an endless one.
        self.end_headers()
        self.wfile.write(route.body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@contextmanager
def image_server() -> Iterator[ImageServer]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.site = ImageServer(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server.site
    finally:
        server.shutdown()
        server.server_close()
