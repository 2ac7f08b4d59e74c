import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import create_user


async def configs_of(
    client: AsyncClient, headers: dict[str, str]
) -> list[dict[str, object]]:
    response = await client.get("/config", headers=headers)
    assert response.status_code == 200
    return [
        {k: v for k, v in item.items() if k != "updated_at"}
        for item in response.json()["configs"]
    ]


class TestUpsertOne:
    @pytest.mark.parametrize(
        "value",
        [
            {"theme": "dark", "nested": {"list": [1, 2.5, None]}},
            "plain",
            42,
            None,
            [1, "二"],
        ],
    )
    async def test_any_json_value(
        self, client: AsyncClient, session: AsyncSession, value: object
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/config/ui/main", json={"value": value}, headers=alice.headers
        )

        assert response.json() == {"message": "success", "success": True}
        assert await configs_of(client, alice.headers) == [
            {"config_id": "ui", "sub_id": "main", "value": value}
        ]

    async def test_body_without_value_key_is_the_value(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        await client.post(
            "/config/ui/main", json={"theme": "dark"}, headers=alice.headers
        )

        assert (await configs_of(client, alice.headers))[0]["value"] == {
            "theme": "dark"
        }

    async def test_second_write_replaces(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        await client.post("/config/ui/main", json={"value": 1}, headers=alice.headers)
        await client.post("/config/ui/main", json={"value": 2}, headers=alice.headers)

        assert await configs_of(client, alice.headers) == [
            {"config_id": "ui", "sub_id": "main", "value": 2}
        ]

    async def test_value_over_one_megabyte_is_413(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/config/big/one",
            json={"value": "x" * (1024 * 1024 + 1)},
            headers=alice.headers,
        )

        assert response.status_code == 413
        assert response.json()["errorCode"] == 413
        assert await configs_of(client, alice.headers) == []

    async def test_nul_character_is_400_and_stores_nothing(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/config/ui/main", json={"value": "a\u0000b"}, headers=alice.headers
        )

        assert response.status_code == 400
        assert await configs_of(client, alice.headers) == []

    async def test_anonymous_is_401(self, client: AsyncClient) -> None:
        response = await client.post("/config/ui/main", json={"value": 1})

        assert response.status_code == 401


class TestBatch:
    async def test_upsert_many_and_fetch_some(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        configs = [
            {"config_id": "a", "sub_id": "1", "value": {"x": 1}},
            {"config_id": "a", "sub_id": "2", "value": "two"},
            {"config_id": "b", "sub_id": "1", "value": [True]},
        ]

        response = await client.post(
            "/config", json={"configs": configs}, headers=alice.headers
        )
        fetched = await client.post(
            "/config/fetch", json={"config_ids": ["a"]}, headers=alice.headers
        )

        assert response.json()["success"] is True
        assert [
            (c["config_id"], c["sub_id"], c["value"]) for c in fetched.json()["configs"]
        ] == [
            ("a", "1", {"x": 1}),
            ("a", "2", "two"),
        ]

    async def test_fetch_without_body_returns_all(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        await client.post("/config/a/1", json={"value": 1}, headers=alice.headers)
        await client.post("/config/b/1", json={"value": 2}, headers=alice.headers)

        fetched = await client.post("/config/fetch", headers=alice.headers)
        filtered = await client.get(
            "/config", params={"config_id": "b"}, headers=alice.headers
        )

        assert len(fetched.json()["configs"]) == 2
        assert [c["config_id"] for c in filtered.json()["configs"]] == ["b"]

    async def test_batch_is_all_or_nothing(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        configs = [
            {"config_id": "ok", "sub_id": "1", "value": 1},
            {"config_id": "bad", "sub_id": "1", "value": "nul\u0000"},
        ]

        response = await client.post(
            "/config", json={"configs": configs}, headers=alice.headers
        )

        assert response.status_code == 400
        assert await configs_of(client, alice.headers) == []

    async def test_batch_with_an_oversized_value_stores_nothing(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        configs = [
            {"config_id": "ok", "sub_id": "1", "value": 1},
            {"config_id": "big", "sub_id": "1", "value": "y" * (1024 * 1024 + 10)},
        ]

        response = await client.post(
            "/config", json={"configs": configs}, headers=alice.headers
        )

        assert response.status_code == 413
        assert await configs_of(client, alice.headers) == []

    async def test_same_key_twice_in_a_batch_keeps_the_last(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        configs = [
            {"config_id": "a", "sub_id": "1", "value": "first"},
            {"config_id": "a", "sub_id": "1", "value": "last"},
        ]

        await client.post("/config", json={"configs": configs}, headers=alice.headers)

        assert (await configs_of(client, alice.headers))[0]["value"] == "last"

    async def test_malformed_batch_is_422(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/config", json={"configs": [{"config_id": "a"}]}, headers=alice.headers
        )

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "configs", 0, "sub_id"]


class TestDelete:
    async def test_delete_one(self, client: AsyncClient, session: AsyncSession) -> None:
        alice = await create_user(session)
        await client.post("/config/a/1", json={"value": 1}, headers=alice.headers)
        await client.post("/config/a/2", json={"value": 2}, headers=alice.headers)

        response = await client.delete("/config/a/1", headers=alice.headers)

        assert response.json()["success"] is True
        assert [c["sub_id"] for c in await configs_of(client, alice.headers)] == ["2"]

    async def test_delete_missing_is_404(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.delete("/config/none/none", headers=alice.headers)

        assert response.status_code == 404

    async def test_delete_many_removes_every_sub_id(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        for config_id, sub_id in [("a", "1"), ("a", "2"), ("b", "1"), ("c", "1")]:
            await client.post(
                f"/config/{config_id}/{sub_id}",
                json={"value": 0},
                headers=alice.headers,
            )

        response = await client.request(
            "DELETE",
            "/config",
            json={"config_ids": ["a", "b", "zzz"]},
            headers=alice.headers,
        )

        assert response.json()["deleted"] == 3
        assert [c["config_id"] for c in await configs_of(client, alice.headers)] == [
            "c"
        ]


class TestIsolation:
    async def test_users_never_see_or_delete_each_others_configs(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        bob = await create_user(session)
        await client.post(
            "/config/ui/main", json={"value": "alice's"}, headers=alice.headers
        )

        bob_sees = await configs_of(client, bob.headers)
        bob_deletes = await client.delete("/config/ui/main", headers=bob.headers)
        await client.request(
            "DELETE", "/config", json={"config_ids": ["ui"]}, headers=bob.headers
        )

        assert bob_sees == []
        assert bob_deletes.status_code == 404
        assert (await configs_of(client, alice.headers))[0]["value"] == "alice's"
