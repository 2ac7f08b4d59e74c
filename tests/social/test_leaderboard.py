from typing import Any

from httpx import AsyncClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import CreatorStats, Project
from app.social.leaderboard import refresh_creator_stats
from app.social.schemas import LeaderSortEnum
from tests.factories import Caller, create_project, create_user
from tests.social.helpers import follow, get_json


async def set_counters(session: AsyncSession, project: Project, **values: int) -> None:
    await session.execute(
        update(Project).where(Project.id == project.id).values(**values)
    )


async def board(client: AsyncClient, **params: Any) -> list[dict[str, Any]]:
    body = await get_json(client, "/api/leaderboard/v1", **params)
    leaders: list[dict[str, Any]] = body["leaders"]
    return leaders


def names(leaders: list[dict[str, Any]], *callers: Caller) -> list[str]:
    """The leaders among these callers, in board order."""
    wanted = {c.user.username for c in callers}
    return [leader["username"] for leader in leaders if leader["username"] in wanted]


class TestRefresh:
    async def test_sums_public_projects_only(self, session: AsyncSession) -> None:
        alice = await create_user(session)
        public = await create_project(session, alice)
        hidden = await create_project(session, alice, visibility="private")
        await set_counters(session, public, n_downloads=5, n_chats=2, n_messages=10)
        await set_counters(session, hidden, n_downloads=100)

        await refresh_creator_stats(session)

        stats = await session.get(CreatorStats, alice.user.id, populate_existing=True)
        assert stats is not None
        assert (stats.n_projects, stats.n_downloads) == (1, 5)
        assert stats.avg_msgs_chat == 5.0
        assert stats.avg_rating is None

    async def test_drops_creators_with_nothing_left(
        self, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)
        await refresh_creator_stats(session)
        await session.execute(
            update(Project).where(Project.id == project.id).values(visibility="private")
        )
        # A new transaction time, as the periodic job has.
        await session.commit()

        await refresh_creator_stats(session)

        found = await session.execute(
            select(CreatorStats).where(CreatorStats.user_id == alice.user.id)
        )
        assert found.first() is None


class TestLeaderboard:
    async def test_orders_by_each_figure(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        a = await create_project(session, alice)
        await create_project(session, alice)
        b = await create_project(session, bob)
        await set_counters(session, a, n_downloads=1, n_chats=1, n_messages=50)
        await set_counters(session, b, n_downloads=9, n_chats=10, n_messages=20)
        await set_counters(session, b, n_ratings=2, rating_sum=8, n_favorites=3)
        await follow(client, alice, bob.user.username)
        await refresh_creator_stats(session)

        by_msgs = await board(client)
        by_projects = await board(client, order_by="n_projects")
        by_downloads = await board(client, order_by="n_downloads")
        by_rating = await board(client, order_by="avg_rating")
        by_followers = await board(client, order_by="n_followers")

        alice_name, bob_name = alice.user.username, bob.user.username
        assert names(by_msgs, alice, bob) == [alice_name, bob_name]
        assert names(by_projects, alice, bob) == [alice_name, bob_name]
        assert names(by_downloads, alice, bob) == [bob_name, alice_name]
        assert names(by_rating, alice, bob) == [bob_name, alice_name]
        assert names(by_followers, alice, bob) == [bob_name, alice_name]

    async def test_leader_fields(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)
        await set_counters(session, project, n_ratings=3, rating_sum=13)
        await refresh_creator_stats(session)

        leaders = await board(client, order_by="avg_rating")

        leader = next(x for x in leaders if x["id"] == alice.user.id)
        assert leader["user_name"] == alice.user.username
        assert leader["avg_rating"] == 4.33
        assert leader["avg_msgs_chat"] is None
        assert leader["rank"] >= 1

    async def test_every_sort_answers(self, client: AsyncClient) -> None:
        for order in LeaderSortEnum:
            response = await client.get(
                "/api/leaderboard/v1", params={"order_by": order.value}
            )

            assert response.status_code == 200, order

    async def test_unknown_order_is_422_listing_the_valid_ones(
        self, client: AsyncClient
    ) -> None:
        response = await client.get(
            "/api/leaderboard/v1", params={"order_by": "n_sparkles"}
        )

        assert response.status_code == 422
        message = response.json()["detail"][0]["msg"]
        for value in ("avg_msgs_chat", "n_projects", "n_followers", "avg_rating"):
            assert value in message
