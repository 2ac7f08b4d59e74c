from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import TagFollow, UserFollow
from tests.factories import create_user
from tests.social.helpers import SUCCESS, assert_error, follow, follow_tag, get_json


async def n_follows(session: AsyncSession, **where: int) -> int:
    stmt = select(func.count()).select_from(UserFollow).filter_by(**where)
    return (await session.execute(stmt)).scalar_one()


class TestFollowUser:
    async def test_follows_by_name_in_any_case(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)

        await follow(client, alice, bob.user.username.upper())

        assert await n_follows(session, follower_id=alice.user.id) == 1

    async def test_twice_is_one_follow(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)

        await follow(client, alice, bob.user.username)
        await follow(client, alice, bob.user.username)

        assert await n_follows(session, followed_id=bob.user.id) == 1

    async def test_not_yourself(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        # A refused request rolls back, which expires the objects loaded before it.
        alice_id, name = alice.user.id, alice.user.username

        response = await client.post(f"/api/follow/{name}", headers=alice.headers)

        assert_error(response, 400)
        assert await n_follows(session, follower_id=alice_id) == 0

    async def test_unknown_user_is_404(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post("/api/follow/nobody-here", headers=alice.headers)

        assert_error(response, 404)

    async def test_needs_a_key(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        bob = await create_user(session)

        response = await client.post(f"/api/follow/{bob.user.username}")

        assert_error(response, 401)

    async def test_unfollow(self, client: AsyncClient, session: AsyncSession) -> None:
        alice, bob = await create_user(session), await create_user(session)
        await follow(client, alice, bob.user.username)

        response = await client.delete(
            f"/api/follow/{bob.user.username}", headers=alice.headers
        )
        again = await client.delete(
            f"/api/follow/{bob.user.username}", headers=alice.headers
        )

        assert response.json() == again.json() == SUCCESS
        assert await n_follows(session, follower_id=alice.user.id) == 0


class TestFollowTag:
    async def test_stored_lower_cased(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        await follow_tag(client, alice, "Fantasy")
        await follow_tag(client, alice, "fantasy")
        account = await get_json(client, "/api/account", alice)

        rows = await session.execute(
            select(TagFollow.tag).where(TagFollow.user_id == alice.user.id)
        )
        assert list(rows.scalars()) == ["fantasy"]
        assert account["followed_tags"] == ["fantasy"]

    async def test_unfollow(self, client: AsyncClient, session: AsyncSession) -> None:
        alice = await create_user(session)
        await follow_tag(client, alice, "Fantasy")

        response = await client.delete("/follow/tag/FANTASY", headers=alice.headers)

        assert response.json() == SUCCESS
        account = await get_json(client, "/api/account", alice)
        assert account["followed_tags"] == []

    async def test_blank_tag_is_400(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post("/follow/tag/%20", headers=alice.headers)

        assert_error(response, 400)


class TestFollowLists:
    async def test_follows_newest_first_with_user_fields(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        bob = await create_user(session, username="BobTheMaker")
        carol = await create_user(session)
        await follow(client, alice, bob.user.username)
        await follow(client, alice, carol.user.username)

        body = await get_json(client, f"/api/follows/{alice.user.username}")

        names = [node["username"] for node in body["follows"]]
        assert names == [carol.user.username, "BobTheMaker"]
        assert body["nodes"] == body["follows"]
        assert body["total"] == body["count"] == 2
        node = body["follows"][1]
        assert node["user_name"] == "BobTheMaker"
        assert {"name", "avatar_url", "id"} <= set(node)

    async def test_post_reads_the_same(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        await follow(client, alice, bob.user.username)

        response = await client.post(f"/api/follows/{alice.user.username}", json={})

        assert response.status_code == 200
        assert [n["username"] for n in response.json()["follows"]] == [
            bob.user.username
        ]

    async def test_followers_paged(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        star = await create_user(session)
        fans = [await create_user(session) for _ in range(3)]
        for fan in fans:
            await follow(client, fan, star.user.username)

        first = await get_json(
            client, f"/api/followers/{star.user.username}", page=1, first=2
        )
        second = await get_json(
            client, f"/api/followers/{star.user.username}", page=2, first=2
        )
        oldest = await get_json(
            client, f"/api/followers/{star.user.username}", asc=True, first=1
        )

        names = [n["username"] for n in first["followers"] + second["followers"]]
        assert names == [fan.user.username for fan in reversed(fans)]
        assert first["total"] == 3
        assert oldest["followers"][0]["username"] == fans[0].user.username

    async def test_without_count_counts_the_page(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        star = await create_user(session)
        for _ in range(3):
            await follow(client, await create_user(session), star.user.username)

        body = await get_json(
            client, f"/api/followers/{star.user.username}", first=2, count=False
        )

        assert body["total"] == body["count"] == 2

    async def test_unknown_user_is_404(self, client: AsyncClient) -> None:
        response = await client.get("/api/followers/nobody-here")

        assert_error(response, 404)
