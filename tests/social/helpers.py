from typing import Any

from httpx import AsyncClient, Response

from tests.factories import Caller

ERROR_KEYS = {"detail", "error", "errorCode", "code"}
SUCCESS = {"message": "success", "success": True}


def assert_error(response: Response, status: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == body["errorCode"] == status


async def get_json(
    client: AsyncClient, path: str, caller: Caller | None = None, **params: Any
) -> dict[str, Any]:
    headers = caller.headers if caller else {}
    response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def follow(client: AsyncClient, caller: Caller, username: str) -> None:
    response = await client.post(f"/api/follow/{username}", headers=caller.headers)
    assert response.status_code == 200, response.text
    assert response.json() == SUCCESS


async def follow_tag(client: AsyncClient, caller: Caller, tag: str) -> None:
    response = await client.post(f"/follow/tag/{tag}", headers=caller.headers)
    assert response.status_code == 200, response.text
    assert response.json() == SUCCESS
