import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service
from app.models import User, UserConfig
from tests.factories import create_user

ERROR_KEYS = {"detail", "error", "errorCode", "code"}


def assert_error(response_json: dict[str, object], status: int) -> None:
    assert set(response_json) == ERROR_KEYS
    assert response_json["errorCode"] == status
    assert response_json["code"] == status
    assert response_json["detail"] == response_json["error"]


class TestAuthenticationHeaders:
    @pytest.mark.parametrize(
        ("header", "template"),
        [
            ("CH-API-KEY", "{key}"),
            ("samwise", "{key}"),
            ("Authorization", "Bearer {key}"),
            ("Authorization", "{key}"),
            ("authorization", "bearer {key}"),
        ],
    )
    async def test_each_header_authenticates(
        self, client: AsyncClient, session: AsyncSession, header: str, template: str
    ) -> None:
        alice = await create_user(session, username="alice")

        response = await client.get(
            "/api/self", headers={header: template.format(key=alice.key)}
        )

        assert response.status_code == 200
        assert response.json() == {"id": alice.user.id, "username": "alice"}

    async def test_same_key_in_two_headers(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        headers = {"CH-API-KEY": alice.key, "Authorization": f"Bearer {alice.key}"}

        response = await client.get("/api/self", headers=headers)

        assert response.json()["id"] == alice.user.id

    async def test_missing_key_is_401(self, client: AsyncClient) -> None:
        response = await client.get("/api/account")

        assert response.status_code == 401
        assert_error(response.json(), 401)

    async def test_unknown_key_is_401_even_where_anonymous_is_allowed(
        self, client: AsyncClient
    ) -> None:
        response = await client.post(
            "/api/check/username",
            json={"username": "free_name"},
            headers={"CH-API-KEY": "rst_not-a-key"},
        )

        assert response.status_code == 401
        assert_error(response.json(), 401)

    async def test_revoked_key_is_401(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        await service.revoke_key(session, alice.key)

        response = await client.get("/api/self", headers=alice.headers)

        assert response.status_code == 401

    async def test_second_key_works_and_survives_revoking_the_first(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        second = await service.create_key(session, alice.user, name="laptop")
        await service.revoke_key(session, alice.key)

        response = await client.get("/api/self", headers={"CH-API-KEY": second})

        assert response.json()["id"] == alice.user.id

    async def test_keys_are_stored_hashed(self, session: AsyncSession) -> None:
        alice = await create_user(session)

        from app.models import ApiKey

        stored = (await session.execute(select(ApiKey.key_hash))).scalars().all()
        assert alice.key not in stored
        assert all(len(h) == 64 for h in stored)


class TestGetAccount:
    async def test_fields(self, client: AsyncClient, session: AsyncSession) -> None:
        alice = await create_user(session, username="Alice", email="a@example.org")
        alice.user.credits = 250
        await session.flush()

        body = (await client.get("/api/account", headers=alice.headers)).json()

        assert body["id"] == alice.user.id
        assert body["username"] == body["user_name"] == "Alice"
        assert body["email"] == "a@example.org"
        assert body["tokens"] == 250
        assert body["blocked_users"] == []
        assert body["blocked_tags"] == []
        assert body["blacklisted_words"] == []
        assert body["followed_tags"] == []
        assert body["default_sort"] is None
        assert body["atproto"] is None
        assert body["created_at"].endswith("Z") or "+" in body["created_at"]

    async def test_tokens_and_blocks_can_be_left_out(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        body = (
            await client.get(
                "/api/account",
                params={"tokens": "false", "blocks": "0", "badges": "yes"},
                headers=alice.headers,
            )
        ).json()

        assert body["tokens"] is None
        assert body["blocked_users"] is None
        assert body["badges"] == []

    async def test_unknown_parameters_are_ignored(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.get(
            "/api/account",
            params={"nocache": "123", "venus": "true"},
            headers=alice.headers,
        )

        assert response.status_code == 200


class TestUpdateAccount:
    async def test_atproto_set_read_and_cleared(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")

        await client.patch(
            "/api/account", json={"atproto": "did:plc:abc123"}, headers=alice.headers
        )
        public = await client.get("/atproto/ALICE")
        await client.patch("/api/account", json={"atproto": ""}, headers=alice.headers)
        cleared = await client.get("/atproto/alice")

        assert public.status_code == 200
        assert public.json()["atproto"] == "did:plc:abc123"
        assert cleared.status_code == 404
        assert_error(cleared.json(), 404)

    async def test_atproto_must_be_a_did(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.patch(
            "/api/account", json={"atproto": "alice.bsky.social"}, headers=alice.headers
        )

        assert response.status_code == 400

    async def test_name_and_bio(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        await client.patch(
            "/api/account",
            json={"name": "Alice ✨", "bio": "雪"},
            headers=alice.headers,
        )
        body = (await client.get("/api/account", headers=alice.headers)).json()

        assert body["name"] == "Alice ✨"
        assert body["bio"] == "雪"

    async def test_unknown_user_atproto_is_404(self, client: AsyncClient) -> None:
        response = await client.get("/atproto/nobody_here")

        assert response.status_code == 404


class TestChangeUsername:
    async def test_rename(self, client: AsyncClient, session: AsyncSession) -> None:
        alice = await create_user(session, username="alice")

        response = await client.post(
            "/api/self/username", json={"username": "alice_2"}, headers=alice.headers
        )
        me = await client.get("/api/self", headers=alice.headers)

        assert response.status_code == 200
        assert response.json()["success"] is True
        assert me.json()["username"] == "alice_2"

    async def test_old_name_no_longer_resolves(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        bob = await create_user(session, username="bob")
        await client.patch(
            "/api/account", json={"atproto": "did:plc:x"}, headers=alice.headers
        )

        await client.post(
            "/api/self/username", json={"username": "alicia"}, headers=alice.headers
        )
        old = await client.get("/atproto/alice")
        block_old = await client.post(
            "/api/account/block/user/alice", headers=bob.headers
        )
        new = await client.get("/atproto/alicia")

        assert old.status_code == 404
        assert block_old.status_code == 404
        assert new.status_code == 200

    async def test_changing_only_the_case_of_your_own_name(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")

        response = await client.post(
            "/api/self/username", json={"username": "Alice"}, headers=alice.headers
        )

        assert response.status_code == 200

    @pytest.mark.parametrize(
        "name", ["ab", "a" * 33, "has space", "émile", "dots.dots", "slash/x", ""]
    )
    async def test_malformed_names_are_400(
        self, client: AsyncClient, session: AsyncSession, name: str
    ) -> None:
        alice = await create_user(session, username="alice")

        response = await client.post(
            "/api/self/username", json={"username": name}, headers=alice.headers
        )

        assert response.status_code == 400
        assert_error(response.json(), 400)
        assert (await client.get("/api/self", headers=alice.headers)).json()[
            "username"
        ] == "alice"

    @pytest.mark.parametrize("name", ["admin", "API", "Lorebooks", "support"])
    async def test_reserved_names_are_400(
        self, client: AsyncClient, session: AsyncSession, name: str
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/api/self/username", json={"username": name}, headers=alice.headers
        )

        assert response.status_code == 400
        assert "reserved" in response.json()["detail"]

    async def test_taken_without_regard_to_case_is_409(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        await create_user(session, username="bob")
        alice = await create_user(session, username="alice")

        response = await client.post(
            "/api/self/username", json={"username": "BOB"}, headers=alice.headers
        )

        assert response.status_code == 409
        assert_error(response.json(), 409)

    async def test_missing_field_is_422(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/api/self/username", json={"name": "x"}, headers=alice.headers
        )

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "username"]


class TestCheckUsername:
    async def test_available_without_credentials(self, client: AsyncClient) -> None:
        response = await client.post("/api/check/username", json={"username": "fresh"})

        assert response.status_code == 200
        assert response.json() == {
            "available": True,
            "success": True,
            "message": "available",
        }

    async def test_taken_ignores_case(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        await create_user(session, username="Carol")

        body = (
            await client.post("/api/check/username", json={"username": "cAROL"})
        ).json()

        assert body["available"] is False
        assert "taken" in body["message"]

    @pytest.mark.parametrize("name", ["x", "root", "with space"])
    async def test_invalid_or_reserved(self, client: AsyncClient, name: str) -> None:
        body = (
            await client.post("/api/check/username", json={"username": name})
        ).json()

        assert body["available"] is False


class TestBlocks:
    async def test_block_and_unblock_user(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        await create_user(session, username="Spammer")

        blocked = await client.post(
            "/api/account/block/user/spammer", headers=alice.headers
        )
        again = await client.post(
            "/api/account/block/user/SPAMMER", headers=alice.headers
        )
        during = (await client.get("/api/account", headers=alice.headers)).json()
        await client.delete("/api/account/block/user/spammer", headers=alice.headers)
        after = (await client.get("/api/account", headers=alice.headers)).json()

        assert blocked.json() == {"message": "success", "success": True}
        assert again.status_code == 200
        assert during["blocked_users"] == ["Spammer"]
        assert after["blocked_users"] == []

    async def test_block_self_is_400(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")

        response = await client.post(
            "/api/account/block/user/Alice", headers=alice.headers
        )

        assert response.status_code == 400
        assert_error(response.json(), 400)

    async def test_block_unknown_user_is_404(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/api/account/block/user/ghost", headers=alice.headers
        )

        assert response.status_code == 404

    async def test_tags_are_trimmed_and_lowercased(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        await client.post("/api/account/block/tag/%20NSFL%20", headers=alice.headers)
        await client.post("/api/account/block/tag/nsfl", headers=alice.headers)
        await client.post("/api/account/block/tag/Horror", headers=alice.headers)
        during = (await client.get("/api/account", headers=alice.headers)).json()
        await client.delete("/api/account/block/tag/HORROR", headers=alice.headers)
        after = (await client.get("/api/account", headers=alice.headers)).json()

        assert during["blocked_tags"] == ["horror", "nsfl"]
        assert after["blocked_tags"] == ["nsfl"]

    async def test_overlong_tag_is_400(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/api/account/block/tag/" + "t" * 65, headers=alice.headers
        )

        assert response.status_code == 400

    async def test_unknown_block_type_is_422(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/api/account/block/planet/mars", headers=alice.headers
        )

        assert response.status_code == 422


class TestBlacklist:
    async def test_add_is_case_insensitive_and_remove(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        await client.post(
            "/api/account/blacklist", json={"word": "Spam"}, headers=alice.headers
        )
        await client.post(
            "/api/account/blacklist", json={"word": "SPAM"}, headers=alice.headers
        )
        await client.post(
            "/api/account/blacklist", json={"word": "buy now"}, headers=alice.headers
        )
        during = (await client.get("/api/account", headers=alice.headers)).json()
        await client.post(
            "/api/account/blacklist/remove",
            json={"word": "sPaM"},
            headers=alice.headers,
        )
        after = (await client.get("/api/account", headers=alice.headers)).json()

        assert during["blacklisted_words"] == ["buy now", "spam"]
        assert after["blacklisted_words"] == ["buy now"]

    async def test_at_most_200_words(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        for number in range(200):
            await service.add_blacklist_word(session, alice.user, f"word{number}")

        response = await client.post(
            "/api/account/blacklist", json={"word": "one more"}, headers=alice.headers
        )

        assert response.status_code == 400
        assert "200" in response.json()["detail"]

    async def test_word_of_more_than_100_characters_is_400(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/api/account/blacklist", json={"word": "w" * 101}, headers=alice.headers
        )

        assert response.status_code == 400

    async def test_empty_word_is_400(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/api/account/blacklist", json={"word": "   "}, headers=alice.headers
        )

        assert response.status_code == 400


class TestDefaultSort:
    async def test_set(self, client: AsyncClient, session: AsyncSession) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/api/account/sort/trending", headers=alice.headers
        )
        body = (await client.get("/api/account", headers=alice.headers)).json()

        assert response.status_code == 200
        assert body["default_sort"] == "trending"

    async def test_unknown_sort_is_422_listing_valid_ones(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/api/account/sort/sideways", headers=alice.headers
        )

        assert response.status_code == 422
        assert "download_count" in response.json()["detail"][0]["msg"]


class TestDeleteAccount:
    async def test_everything_goes_and_keys_stop_working(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        bob = await create_user(session, username="bob")
        await client.post(
            "/config/ui/theme", json={"value": "dark"}, headers=alice.headers
        )
        await client.post("/api/account/block/user/bob", headers=alice.headers)
        await client.post(
            "/api/account/block/user/" + alice.user.username, headers=bob.headers
        )

        response = await client.delete("/api/account", headers=alice.headers)
        after = await client.get("/api/self", headers=alice.headers)
        users = (await session.execute(select(func.count()).select_from(User))).scalar()
        configs = (
            await session.execute(select(func.count()).select_from(UserConfig))
        ).scalar()
        bob_view = (await client.get("/api/account", headers=bob.headers)).json()

        assert response.json()["success"] is True
        assert after.status_code == 401
        assert users == 1
        assert configs == 0
        assert bob_view["blocked_users"] == []


class TestRegister:
    async def test_open_registration_returns_a_working_key(
        self, client: AsyncClient
    ) -> None:
        response = await client.post(
            "/api/auth/register", json={"username": "newbie", "email": "n@example.org"}
        )
        key = response.json()["api_key"]
        me = await client.get("/api/self", headers={"Authorization": f"Bearer {key}"})

        assert response.status_code == 200
        assert me.json()["username"] == "newbie"

    async def test_taken_name_is_409(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        await create_user(session, username="taken")

        response = await client.post("/api/auth/register", json={"username": "TAKEN"})

        assert response.status_code == 409

    async def test_bad_email_is_422(self, client: AsyncClient) -> None:
        response = await client.post(
            "/api/auth/register", json={"username": "okname", "email": "nope"}
        )

        assert response.status_code == 422

    async def test_closed_registration_is_403(self, client: AsyncClient) -> None:
        app = client._transport.app  # type: ignore[attr-defined]
        app.state.settings = app.state.settings.model_copy(
            update={"open_registration": False}
        )

        response = await client.post("/api/auth/register", json={"username": "closed"})

        assert response.status_code == 403
        assert_error(response.json(), 403)


class TestDeleteWithAFreshKey:
    async def test_first_use_of_a_key_can_delete_the_account(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.delete("/api/account", headers=alice.headers)

        assert response.status_code == 200
        assert (await client.get("/api/self", headers=alice.headers)).status_code == 401
