from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import create_project, create_user
from tests.social.helpers import assert_error, follow, get_json


class TestProfile:
    async def test_fields_and_counts(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="AliceMakes")
        bob, carol = await create_user(session), await create_user(session)
        await follow(client, bob, "AliceMakes")
        await follow(client, carol, "AliceMakes")
        await follow(client, alice, bob.user.username)

        body = await get_json(client, "/api/users/alicemakes", bob)

        assert body["id"] == alice.user.id
        assert body["username"] == body["user_name"] == "AliceMakes"
        assert {"name", "avatar_url", "bio", "created_at"} <= set(body)
        assert body["n_followers"] == body["follower_count"] == 2
        assert body["n_following"] == body["following_count"] == 1
        assert body["is_followed"] is True

    async def test_unknown_user_is_404(self, client: AsyncClient) -> None:
        response = await client.get("/api/users/nobody-here")

        assert_error(response, 404)

    async def test_without_projects(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        await create_project(session, alice)

        body = await get_json(
            client, f"/api/users/{alice.user.username}", include_projects=False
        )

        assert body["projects"] is None


class TestProfileProjects:
    async def test_others_see_public_ones_only(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        public = await create_project(session, alice)
        await create_project(session, alice, visibility="private")
        await create_project(session, alice, visibility="unlisted")

        anonymous = await get_json(client, f"/api/users/{alice.user.username}")
        other = await get_json(client, f"/api/users/{alice.user.username}", bob)

        for body in (anonymous, other):
            assert [n["id"] for n in body["projects"]["nodes"]] == [public.id]
            assert body["projects"]["count"] == 1

    async def test_owner_sees_all_unless_exclude_mine(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        ids = [
            (await create_project(session, alice, visibility=v)).id
            for v in ("public", "private", "unlisted")
        ]

        mine = await get_json(client, f"/api/users/{alice.user.username}", alice)
        excluded = await get_json(
            client, f"/api/users/{alice.user.username}", alice, exclude_mine=True
        )

        assert sorted(n["id"] for n in mine["projects"]["nodes"]) == sorted(ids)
        assert [n["id"] for n in excluded["projects"]["nodes"]] == [ids[0]]

    async def test_nodes_are_project_nodes(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice, topics=["Fantasy"])

        body = await get_json(client, f"/api/users/{alice.user.username}")

        node = body["projects"]["nodes"][0]
        assert node["fullPath"] == f"{alice.user.username}/{project.slug}"
        assert node["topics"] == ["Fantasy"]
        assert node["hasGallery"] is False

    async def test_nsfw_and_nsfl_filters(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        plain = await create_project(session, alice)
        nsfw = await create_project(session, alice, nsfw=True)
        nsfl = await create_project(session, alice, nsfl=True)
        path = f"/api/users/{alice.user.username}"

        everything = await get_json(client, path)
        no_nsfw = await get_json(client, path, nsfw="false")
        no_nsfl = await get_json(client, path, nsfl="False")

        def ids(body: dict[str, object]) -> set[int]:
            return {n["id"] for n in body["projects"]["nodes"]}  # type: ignore[index]

        assert ids(everything) == {plain.id, nsfw.id, nsfl.id}
        assert ids(no_nsfw) == {plain.id, nsfl.id}
        assert ids(no_nsfl) == {plain.id, nsfw.id}

    async def test_paged_newest_activity_first(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        projects = [await create_project(session, alice) for _ in range(3)]
        path = f"/api/users/{alice.user.username}"

        first = await get_json(client, path, first=2)
        second = await get_json(client, path, first=2, page=2)

        got = [n["id"] for n in first["projects"]["nodes"]]
        got += [n["id"] for n in second["projects"]["nodes"]]
        # Created in one transaction: equal times, so the newer id comes first.
        assert got == [p.id for p in reversed(projects)]
        assert first["projects"]["count"] == 3
