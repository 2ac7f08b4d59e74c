from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Project
from tests.factories import Caller, create_project, create_user
from tests.social.helpers import assert_error, follow, follow_tag, get_json

START = datetime(2026, 1, 1, tzinfo=UTC)


async def age(session: AsyncSession, projects: list[Project]) -> None:
    """Give the projects distinct activity times, the first the oldest."""
    for minutes, project in enumerate(projects):
        await session.execute(
            update(Project)
            .where(Project.id == project.id)
            .values(last_activity_at=START + timedelta(minutes=minutes))
        )
    await session.flush()


async def timeline(
    client: AsyncClient, caller: Caller, **params: Any
) -> dict[str, Any]:
    return await get_json(client, "/api/timeline/v1", caller, **params)


def ids(body: dict[str, Any]) -> list[int]:
    assert body["items"] == body["nodes"]
    return [node["id"] for node in body["items"]]


class TestTimeline:
    async def test_needs_a_key(self, client: AsyncClient) -> None:
        response = await client.get("/api/timeline/v1")

        assert_error(response, 401)

    async def test_public_projects_of_followed_users_newest_first(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        me, bob, carol = [await create_user(session) for _ in range(3)]
        older = await create_project(session, bob)
        newer = await create_project(session, bob)
        await create_project(session, bob, visibility="private")
        await create_project(session, bob, visibility="unlisted")
        await create_project(session, carol)
        await age(session, [older, newer])
        await follow(client, me, bob.user.username)

        body = await timeline(client, me)

        assert ids(body) == [newer.id, older.id]
        assert body["total"] == body["count"] == 2
        assert body["cursor"] is None

    async def test_projects_of_followed_tags(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        me, bob = await create_user(session), await create_user(session)
        tagged = await create_project(session, bob, topics=["Dragons"])
        await create_project(session, bob, topics=["Cats"])
        await create_project(session, me, topics=["Dragons"])
        await follow_tag(client, me, "dragons")

        body = await timeline(client, me)

        assert ids(body) == [tagged.id]

    async def test_a_project_followed_twice_shows_once(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        me, bob = await create_user(session), await create_user(session)
        project = await create_project(session, bob, topics=["Dragons"])
        await follow(client, me, bob.user.username)
        await follow_tag(client, me, "Dragons")

        body = await timeline(client, me)

        assert ids(body) == [project.id]
        assert body["total"] == 1

    async def test_ascending(self, client: AsyncClient, session: AsyncSession) -> None:
        me, bob = await create_user(session), await create_user(session)
        projects = [await create_project(session, bob) for _ in range(3)]
        await age(session, projects)
        await follow(client, me, bob.user.username)

        body = await timeline(client, me, asc=True)

        assert ids(body) == [p.id for p in projects]

    async def test_content_filters(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        me, bob = await create_user(session), await create_user(session)
        plain = await create_project(session, bob)
        nsfw = await create_project(session, bob, nsfw=True)
        nsfl = await create_project(session, bob, nsfl=True)
        await age(session, [plain, nsfw, nsfl])
        await follow(client, me, bob.user.username)

        no_nsfw = await timeline(client, me, nsfw=False)
        no_nsfl = await timeline(client, me, nsfl=False)

        assert ids(no_nsfw) == [nsfl.id, plain.id]
        assert ids(no_nsfl) == [nsfw.id, plain.id]

    async def test_min_ai_rating(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        me, bob = await create_user(session), await create_user(session)
        good = await create_project(session, bob)
        poor = await create_project(session, bob)
        unrated = await create_project(session, bob)
        for project, n, total in ((good, 2, 9), (poor, 2, 4)):
            await session.execute(
                update(Project)
                .where(Project.id == project.id)
                .values(n_ratings=n, rating_sum=total)
            )
        await age(session, [good, poor, unrated])
        await follow(client, me, bob.user.username)

        rated = await timeline(client, me, min_ai_rating=4)
        unfiltered = await timeline(client, me, min_ai_rating=0)

        assert ids(rated) == [good.id]
        assert len(ids(unfiltered)) == 3

    async def test_blocked_creators_are_hidden(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        me, bob = await create_user(session), await create_user(session)
        await create_project(session, bob, topics=["Dragons"])
        await follow_tag(client, me, "Dragons")
        await client.post(
            f"/api/account/block/user/{bob.user.username}", headers=me.headers
        )

        body = await timeline(client, me)

        assert ids(body) == []


class TestTimelinePaging:
    async def test_by_page(self, client: AsyncClient, session: AsyncSession) -> None:
        me, bob = await create_user(session), await create_user(session)
        projects = [await create_project(session, bob) for _ in range(5)]
        await age(session, projects)
        await follow(client, me, bob.user.username)

        first = await timeline(client, me, first=2)
        third = await timeline(client, me, first=2, page=3)

        assert ids(first) == [projects[4].id, projects[3].id]
        assert ids(third) == [projects[0].id]
        assert first["total"] == 5

    async def test_by_cursor_to_the_end(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        me, bob, carol = [await create_user(session) for _ in range(3)]
        projects = [await create_project(session, bob) for _ in range(3)]
        projects += [await create_project(session, carol, topics=["x"])]
        await age(session, projects)
        await follow(client, me, bob.user.username)
        await follow_tag(client, me, "x")

        seen: list[int] = []
        cursor = None
        for _ in range(5):
            params: dict[str, Any] = {"first": 2, "count": False}
            if cursor:
                params["cursor"] = cursor
            body = await timeline(client, me, **params)
            seen += ids(body)
            cursor = body["cursor"]
            if cursor is None:
                break

        assert seen == [p.id for p in reversed(projects)]

    async def test_a_forged_cursor_is_400(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        me = await create_user(session)

        response = await client.get(
            "/api/timeline/v1", params={"cursor": "bm90IGpzb24"}, headers=me.headers
        )

        assert_error(response, 400)


class TestTimelineTagBlocks:
    async def test_blocked_tags_are_hidden(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        me, bob = await create_user(session), await create_user(session)
        shown = await create_project(session, bob, topics=["Dragons"])
        await create_project(session, bob, topics=["Dragons", "Gore"])
        await follow(client, me, bob.user.username)
        await client.post("/api/account/block/tag/gore", headers=me.headers)

        body = await timeline(client, me)

        assert ids(body) == [shown.id]
