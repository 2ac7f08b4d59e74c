import errno
from collections.abc import AsyncIterator

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.db import create_sessionmaker
from app.main import create_app
from tests.factories import create_user


class TestMalformedInput:
    async def test_malformed_json_is_422(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/config",
            content=b'{"configs": [',
            headers={**alice.headers, "Content-Type": "application/json"},
        )

        assert response.status_code == 422
        assert response.json()["detail"][0]["type"] == "json_invalid"

    async def test_wrong_type_is_422(self, client: AsyncClient) -> None:
        response = await client.post("/api/check/username", json={"username": ["a"]})

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "username"]

    async def test_a_long_refused_value_is_echoed_shortened(
        self, client: AsyncClient
    ) -> None:
        response = await client.post("/minisearch", json={"query": "x" * 20_000})

        assert response.status_code == 422
        echoed = response.json()["detail"][0]["input"]
        assert echoed == "x" * 200 + "…"

    async def test_empty_body_is_422(self, client: AsyncClient) -> None:
        response = await client.post(
            "/api/check/username",
            content=b"",
            headers={"Content-Type": "application/json"},
        )

        assert response.status_code == 422

    @pytest.mark.parametrize(
        "raw",
        [
            b'{"value": 1e999}',
            b'{"value": -1e999}',
            b'{"value": 1' + b"0" * 5000 + b"}",
            b'{"value": "\\ud800"}',
            b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
            b"\xff\xfe\x00",
        ],
    )
    async def test_hostile_values_never_give_a_500(
        self, client: AsyncClient, session: AsyncSession, raw: bytes
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/config/x/y",
            content=raw,
            headers={**alice.headers, "Content-Type": "application/json"},
        )

        assert 200 <= response.status_code < 500

    async def test_bad_boolean_in_query_is_422(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.get(
            "/api/account",
            params={"tokens": "99999999999999999999"},
            headers=alice.headers,
        )

        assert response.status_code == 422

    @pytest.mark.parametrize("value", ["TRUE", "False", "1", "0", "yes", "NO"])
    async def test_booleans_accept_every_spelling(
        self, client: AsyncClient, session: AsyncSession, value: str
    ) -> None:
        alice = await create_user(session)

        response = await client.get(
            "/api/account", params={"tokens": value}, headers=alice.headers
        )

        assert response.status_code == 200
        expected = value.lower() in {"true", "1", "yes"}
        assert (response.json()["tokens"] is not None) is expected

    async def test_unicode_path_segments(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/config/設定/🎭", json={"value": "ü"}, headers=alice.headers
        )
        listed = await client.get("/config", headers=alice.headers)

        assert response.status_code == 200
        assert listed.json()["configs"][0]["config_id"] == "設定"


class TestUnknownPaths:
    async def test_unknown_path_is_json_404(self, client: AsyncClient) -> None:
        response = await client.get("/api/does/not/exist")

        assert response.status_code == 404
        assert response.json()["errorCode"] == 404
        assert "GET /api/does/not/exist" in response.json()["detail"]

    async def test_wrong_method_is_json_405(self, client: AsyncClient) -> None:
        response = await client.put("/api/self")

        assert response.status_code == 405
        assert response.json()["code"] == 405


@pytest.fixture
async def small_limit_client(settings: Settings) -> AsyncIterator[AsyncClient]:
    app = create_app(settings.model_copy(update={"max_body_mb": 1}))
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


class TestBodyLimit:
    async def test_declared_oversize_body_is_413(
        self, small_limit_client: AsyncClient
    ) -> None:
        response = await small_limit_client.post(
            "/api/check/username",
            content=b"x" * (1024 * 1024 + 1),
            headers={"Content-Type": "application/json"},
        )

        assert response.status_code == 413
        assert response.json()["errorCode"] == 413
        assert "1 MB" in response.json()["detail"]

    async def test_streamed_oversize_body_is_413(
        self, small_limit_client: AsyncClient
    ) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(3):
                yield b"y" * (512 * 1024)

        response = await small_limit_client.post(
            "/api/check/username",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )

        assert response.status_code == 413
        assert response.json()["code"] == 413


class TestCorsAndRequestIds:
    async def test_preflight_allows_any_origin_and_the_key_headers(
        self, client: AsyncClient
    ) -> None:
        response = await client.options(
            "/api/account",
            headers={
                "Origin": "https://tavern.example",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "CH-API-KEY, samwise, Authorization",
            },
        )

        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"
        allowed = response.headers["access-control-allow-headers"].lower()
        assert {"ch-api-key", "samwise", "authorization", "content-type"} <= {
            h.strip() for h in allowed.split(",")
        }

    async def test_request_id_is_echoed_or_made(self, client: AsyncClient) -> None:
        given = await client.get("/api/self", headers={"X-Request-ID": "abc-123"})
        made = await client.get("/api/self")

        assert given.headers["x-request-id"] == "abc-123"
        assert len(made.headers["x-request-id"]) == 32


@pytest.fixture
async def failing_client(
    settings: Settings, engine: AsyncEngine
) -> AsyncIterator[AsyncClient]:
    """An app with a route that raises the system error it is named after."""
    app = create_app(settings)
    app.state.sessionmaker = create_sessionmaker(engine)
    failures = {
        "refused": ConnectionRefusedError(errno.ECONNREFUSED, "refused"),
        "addresses": OSError("Multiple exceptions: [Errno 111], [Errno 99]"),
        "disk-full": OSError(errno.ENOSPC, "No space left on device"),
        "permission": PermissionError(errno.EACCES, "Permission denied"),
    }

    async def fail(kind: str) -> None:
        raise failures[kind]

    app.add_api_route("/fail/{kind}", fail)
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


class TestSystemErrors:
    @pytest.mark.parametrize(
        ("kind", "status"),
        [("refused", 503), ("addresses", 503), ("disk-full", 507), ("permission", 500)],
    )
    async def test_status_by_kind(
        self, failing_client: AsyncClient, kind: str, status: int
    ) -> None:
        response = await failing_client.get(f"/fail/{kind}")

        assert response.status_code == status
        assert response.json()["errorCode"] == status
