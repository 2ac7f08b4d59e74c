import json

from httpx import AsyncClient

from app.kit.redis import WORKER_HEARTBEAT_PREFIX


class TestHealth:
    async def test_without_workers_the_service_is_degraded(
        self, client: AsyncClient
    ) -> None:
        redis = client._transport.app.state.redis  # type: ignore[attr-defined]
        await redis.delete(*(await redis.keys(WORKER_HEARTBEAT_PREFIX + "*")) or ["-"])

        response = await client.get("/healthz")

        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "degraded"
        assert body["database"]["ok"] is True
        assert body["redis"]["ok"] is True
        assert body["worker"] == {
            "ok": False,
            "detail": "No worker is running.",
            "workers": [],
        }

    async def test_a_heartbeat_counts_as_a_worker(self, client: AsyncClient) -> None:
        redis = client._transport.app.state.redis  # type: ignore[attr-defined]
        await redis.set(
            WORKER_HEARTBEAT_PREFIX + "w1", json.dumps({"hostname": "w1"}), ex=30
        )

        body = (await client.get("/healthz")).json()
        await redis.delete(WORKER_HEARTBEAT_PREFIX + "w1")

        assert body["status"] == "ok"
        assert body["worker"]["workers"] == ["w1"]


class TestMetrics:
    async def test_prometheus_text(self, client: AsyncClient) -> None:
        await client.get("/api/self")

        response = await client.get("/metrics")

        assert response.status_code == 200
        assert "http_requests_total" in response.text
        assert 'handler="/api/self"' in response.text


FOUNDATION_ROUTES = {
    ("GET", "/api/account"): "User Account",
    ("DELETE", "/api/account"): "User Account",
    ("POST", "/api/account/block/{block_type}/{name}"): "User Account",
    ("DELETE", "/api/account/block/{block_type}/{name}"): "User Account",
    ("POST", "/api/account/blacklist"): "User Account",
    ("POST", "/api/account/blacklist/remove"): "User Account",
    ("POST", "/api/account/sort/{order}"): "User Account",
    ("GET", "/api/self"): "User Account",
    ("POST", "/api/self/username"): "Unstable",
    ("POST", "/api/check/username"): "Unstable",
    ("POST", "/config/{config_id}/{sub_id}"): "User Account",
    ("DELETE", "/config/{config_id}/{sub_id}"): "User Account",
    ("POST", "/config"): "User Account",
    ("DELETE", "/config"): "User Account",
    ("GET", "/atproto/{username}"): "Read-Only",
}


class TestOpenApi:
    async def test_lists_the_spec_paths_with_their_tags(
        self, client: AsyncClient
    ) -> None:
        schema = (await client.get("/openapi.json")).json()

        for (method, path), tag in FOUNDATION_ROUTES.items():
            operation = schema["paths"][path][method.lower()]
            assert tag in operation["tags"], (method, path)
            assert operation.get("summary") or operation.get("description")

    async def test_docs_page(self, client: AsyncClient) -> None:
        response = await client.get("/docs")

        assert response.status_code == 200
        assert "swagger" in response.text.lower()
