from typing import Any

from httpx import AsyncClient


async def search(
    client: AsyncClient, headers: dict[str, str] | None = None, **params: Any
) -> dict[str, Any]:
    """GET /search; min_tokens defaults to 0 here, as test cards are short."""
    params.setdefault("min_tokens", 0)
    query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
    response = await client.get("/search", params=query, headers=headers or {})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def names(body: dict[str, Any]) -> list[str]:
    return [node["name"] for node in body["results"]]
