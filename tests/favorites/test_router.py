from datetime import datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.favorites import service
from app.models import Favorite, Project, ProjectDailyStats
from tests.factories import Caller, create_project, create_user

ERROR_KEYS = {"detail", "error", "errorCode", "code"}
SUCCESS = {"message": "success", "success": True}


def assert_error(response_json: dict[str, object], status: int) -> None:
    assert set(response_json) == ERROR_KEYS
    assert response_json["errorCode"] == status
    assert response_json["code"] == status
    assert response_json["detail"] == response_json["error"]


async def n_favorites(session: AsyncSession, project_id: int) -> int:
    stmt = select(Project.n_favorites).where(Project.id == project_id)
    return (await session.execute(stmt)).scalar_one()


async def count_favorites(session: AsyncSession, **where: int) -> int:
    stmt = select(func.count()).select_from(Favorite).filter_by(**where)
    return (await session.execute(stmt)).scalar_one()


async def favorites_today(session: AsyncSession, project_id: int) -> int | None:
    stmt = select(ProjectDailyStats.favorites).where(
        ProjectDailyStats.project_id == project_id,
        ProjectDailyStats.day == func.current_date(),
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def favorite(client: AsyncClient, caller: Caller, project_id: int) -> None:
    response = await client.post(f"/api/favorites/{project_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    assert response.json() == SUCCESS


async def unfavorite(client: AsyncClient, caller: Caller, project_id: int) -> None:
    response = await client.delete(
        f"/api/favorites/{project_id}", headers=caller.headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == SUCCESS


async def list_favorites(
    client: AsyncClient, caller: Caller, **params: Any
) -> dict[str, Any]:
    response = await client.get("/api/favorites", params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestAddFavorite:
    async def test_stores_and_counts_the_favorite(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)

        await favorite(client, bob, project.id)

        assert await count_favorites(session, user_id=bob.user.id) == 1
        assert await n_favorites(session, project.id) == 1
        assert await favorites_today(session, project.id) == 1

    async def test_twice_counts_once(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)

        await favorite(client, bob, project.id)
        await favorite(client, bob, project.id)

        assert await count_favorites(session, project_id=project.id) == 1
        assert await n_favorites(session, project.id) == 1
        assert await favorites_today(session, project.id) == 1

    async def test_favorites_of_several_users_add_up(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        fans = [await create_user(session) for _ in range(3)]
        project = await create_project(session, alice)

        for fan in fans:
            await favorite(client, fan, project.id)

        assert await n_favorites(session, project.id) == 3
        assert await favorites_today(session, project.id) == 3

    async def test_counter_is_shifted_not_recomputed(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)
        await session.execute(
            update(Project).where(Project.id == project.id).values(n_favorites=7)
        )

        await favorite(client, bob, project.id)

        assert await n_favorites(session, project.id) == 8

    async def test_todays_downloads_are_kept(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)
        await session.execute(
            insert(ProjectDailyStats).values(
                project_id=project.id, day=func.current_date(), downloads=3, favorites=2
            )
        )

        await favorite(client, bob, project.id)

        stmt = select(ProjectDailyStats.downloads, ProjectDailyStats.favorites).where(
            ProjectDailyStats.project_id == project.id
        )
        assert (await session.execute(stmt)).all() == [(3, 3)]

    async def test_own_project_can_be_favorited(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice, visibility="private")

        await favorite(client, alice, project.id)

        assert await n_favorites(session, project.id) == 1

    async def test_unlisted_project_can_be_favorited(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice, visibility="unlisted")

        await favorite(client, bob, project.id)

        assert await n_favorites(session, project.id) == 1


class TestAddFavoriteRefusals:
    async def test_anonymous_is_401(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        response = await client.post(f"/api/favorites/{project.id}")

        assert response.status_code == 401
        assert_error(response.json(), 401)

    async def test_someone_elses_private_project_is_404(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice, visibility="private")
        project_id = project.id

        response = await client.post(
            f"/api/favorites/{project_id}", headers=bob.headers
        )

        assert response.status_code == 404
        assert_error(response.json(), 404)
        assert await count_favorites(session, project_id=project_id) == 0
        assert await n_favorites(session, project_id) == 0

    async def test_unknown_project_is_404(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        bob = await create_user(session)

        response = await client.post(f"/api/favorites/{2**62}", headers=bob.headers)

        assert response.status_code == 404
        assert_error(response.json(), 404)

    @pytest.mark.parametrize("project_id", ["abc", "0", "-5", str(2**63)])
    async def test_malformed_project_id_is_422(
        self, client: AsyncClient, session: AsyncSession, project_id: str
    ) -> None:
        bob = await create_user(session)

        response = await client.post(
            f"/api/favorites/{project_id}", headers=bob.headers
        )

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["path", "project_id"]


class TestRemoveFavorite:
    async def test_removes_and_uncounts_the_favorite(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        carol = await create_user(session)
        project = await create_project(session, alice)
        await favorite(client, bob, project.id)
        await favorite(client, carol, project.id)

        await unfavorite(client, bob, project.id)

        assert await count_favorites(session, user_id=bob.user.id) == 0
        assert await n_favorites(session, project.id) == 1

    async def test_absent_favorite_is_a_success_and_changes_nothing(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        carol = await create_user(session)
        project = await create_project(session, alice)
        await favorite(client, carol, project.id)

        await unfavorite(client, bob, project.id)
        await unfavorite(client, bob, project.id)

        assert await n_favorites(session, project.id) == 1
        assert await favorites_today(session, project.id) == 1

    async def test_same_day_removal_takes_back_todays_figure(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)

        for _ in range(3):
            await favorite(client, bob, project.id)
            await unfavorite(client, bob, project.id)

        assert await favorites_today(session, project.id) == 0
        assert await n_favorites(session, project.id) == 0

    async def test_removing_an_older_favorite_keeps_the_daily_figures(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)
        await favorite(client, bob, project.id)
        await favorite(client, alice, project.id)
        await session.execute(
            update(Favorite)
            .where(Favorite.user_id == bob.user.id)
            .values(created_at=Favorite.created_at - timedelta(days=2))
        )

        await unfavorite(client, bob, project.id)

        assert await favorites_today(session, project.id) == 2
        assert await n_favorites(session, project.id) == 1

    async def test_favorite_of_a_project_turned_private_can_be_removed(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)
        await favorite(client, bob, project.id)
        project.visibility = "private"

        await unfavorite(client, bob, project.id)

        assert await count_favorites(session, user_id=bob.user.id) == 0
        assert await n_favorites(session, project.id) == 0

    async def test_someone_elses_private_project_is_404(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice, visibility="private")

        response = await client.delete(
            f"/api/favorites/{project.id}", headers=bob.headers
        )

        assert response.status_code == 404
        assert_error(response.json(), 404)

    async def test_unknown_project_is_404(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        bob = await create_user(session)

        response = await client.delete(f"/api/favorites/{2**62}", headers=bob.headers)

        assert response.status_code == 404
        assert_error(response.json(), 404)

    async def test_anonymous_is_401(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        response = await client.delete(f"/api/favorites/{project.id}")

        assert response.status_code == 401

    @pytest.mark.parametrize("project_id", ["abc", "0", str(2**63)])
    async def test_malformed_project_id_is_422(
        self, client: AsyncClient, session: AsyncSession, project_id: str
    ) -> None:
        bob = await create_user(session)

        response = await client.delete(
            f"/api/favorites/{project_id}", headers=bob.headers
        )

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["path", "project_id"]


class TestListFavorites:
    async def test_no_favorites(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        bob = await create_user(session)

        body = await list_favorites(client, bob)

        assert body == {"nodes": [], "count": 0, "page": 1}

    async def test_node_fields(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice_makes")
        bob = await create_user(session)
        project = await create_project(session, alice, name="Aria")
        await favorite(client, bob, project.id)

        [node] = (await list_favorites(client, bob))["nodes"]

        stored = await session.get_one(
            Favorite, (bob.user.id, project.id), populate_existing=True
        )
        assert node["id"] == project.id
        assert node["name"] == "Aria"
        assert node["fullPath"] == f"alice_makes/{project.slug}"
        assert node["projectSpace"] == "characters"
        assert node["n_favorites"] == 1
        assert datetime.fromisoformat(node["favorited_at"]) == stored.created_at

    async def test_lorebook_node(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice_books")
        bob = await create_user(session)
        book = await create_project(session, alice, kind="lorebooks")
        await favorite(client, bob, book.id)

        [node] = (await list_favorites(client, bob))["nodes"]

        assert node["projectSpace"] == "lorebooks"
        assert node["fullPath"] == f"lorebooks/alice_books/{book.slug}"

    async def test_newest_first(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        projects = [await create_project(session, alice) for _ in range(3)]
        for project in projects:
            await favorite(client, bob, project.id)

        body = await list_favorites(client, bob)

        assert [node["id"] for node in body["nodes"]] == [
            project.id for project in reversed(projects)
        ]

    async def test_pages(self, client: AsyncClient, session: AsyncSession) -> None:
        alice, bob = await create_user(session), await create_user(session)
        projects = [await create_project(session, alice) for _ in range(5)]
        for project in projects:
            await favorite(client, bob, project.id)

        body = await list_favorites(client, bob, page=2, first=2)

        assert [node["id"] for node in body["nodes"]] == [
            projects[2].id,
            projects[1].id,
        ]
        assert (body["count"], body["page"]) == (5, 2)

    async def test_default_page_size_is_40(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        for _ in range(41):
            await favorite(client, bob, (await create_project(session, alice)).id)

        body = await list_favorites(client, bob)

        assert (len(body["nodes"]), body["count"]) == (40, 41)

    async def test_first_of_500_is_accepted(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        bob = await create_user(session)

        body = await list_favorites(client, bob, first=500)

        assert body["count"] == 0

    @pytest.mark.parametrize(
        "params", [{"first": 0}, {"first": 501}, {"page": 0}, {"page": "one"}]
    )
    async def test_bad_paging_is_422(
        self, client: AsyncClient, session: AsyncSession, params: dict[str, Any]
    ) -> None:
        bob = await create_user(session)

        response = await client.get(
            "/api/favorites", params=params, headers=bob.headers
        )

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"][0] == "query"

    async def test_only_the_callers_favorites(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        mine = await create_project(session, alice)
        theirs = await create_project(session, alice)
        await favorite(client, bob, mine.id)
        await favorite(client, alice, theirs.id)

        body = await list_favorites(client, bob)

        assert [node["id"] for node in body["nodes"]] == [mine.id]
        assert body["count"] == 1

    async def test_project_turned_private_is_hidden_and_not_counted(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        hidden = await create_project(session, alice)
        shown = await create_project(session, alice, visibility="unlisted")
        await favorite(client, bob, hidden.id)
        await favorite(client, bob, shown.id)
        hidden.visibility = "private"

        body = await list_favorites(client, bob)

        assert [node["id"] for node in body["nodes"]] == [shown.id]
        assert body["count"] == 1
        assert await count_favorites(session, user_id=bob.user.id) == 2

    async def test_own_private_project_is_shown(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice, visibility="private")
        await favorite(client, alice, project.id)

        body = await list_favorites(client, alice)

        assert [node["id"] for node in body["nodes"]] == [project.id]

    async def test_anonymous_is_401(self, client: AsyncClient) -> None:
        response = await client.get("/api/favorites")

        assert response.status_code == 401
        assert_error(response.json(), 401)


class TestFavoritesWhenThingsAreDeleted:
    async def test_deleting_a_project_removes_its_favorites_and_stats(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        doomed = await create_project(session, alice)
        kept = await create_project(session, alice)
        doomed_id = doomed.id
        await favorite(client, bob, doomed_id)
        await favorite(client, bob, kept.id)

        response = await client.delete(
            f"/api/project/{doomed_id}", headers=alice.headers
        )

        assert response.status_code == 200
        assert await count_favorites(session, project_id=doomed_id) == 0
        assert await favorites_today(session, doomed_id) is None
        assert await n_favorites(session, kept.id) == 1
        assert await favorites_today(session, kept.id) == 1
        assert (await list_favorites(client, bob))["count"] == 1

    async def test_deleting_an_account_removes_its_favorites_and_projects(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        carol = await create_user(session)
        bobs_project = await create_project(session, bob)
        bystander = await create_project(session, carol)
        bob_id, bobs_project_id = bob.user.id, bobs_project.id
        await favorite(client, carol, bobs_project_id)
        await favorite(client, alice, bystander.id)
        # Use bob's key once first: the accounts service fails (StaleDataError)
        # to delete an account whose key has not been used for a while.
        await client.get("/api/account", headers=bob.headers)

        response = await client.delete("/api/account", headers=bob.headers)

        assert response.status_code == 200
        assert await count_favorites(session, user_id=bob_id) == 0
        assert await count_favorites(session, project_id=bobs_project_id) == 0
        assert await favorites_today(session, bobs_project_id) is None
        assert await n_favorites(session, bystander.id) == 1
        assert (await list_favorites(client, carol))["count"] == 0

    async def test_withdrawn_favorites_leave_exact_counters(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        carol = await create_user(session)
        first = await create_project(session, alice)
        second = await create_project(session, alice)
        await favorite(client, bob, first.id)
        await favorite(client, carol, first.id)
        await favorite(client, carol, second.id)

        await service.withdraw_user_favorites(session, bob.user.id)

        assert await count_favorites(session, user_id=bob.user.id) == 0
        assert await n_favorites(session, first.id) == 1
        assert await n_favorites(session, second.id) == 1


class TestFavoriteRoutesDocumentation:
    async def test_routes_are_tagged_user_account(self, client: AsyncClient) -> None:
        response = await client.get("/openapi.json")

        paths = response.json()["paths"]
        assert paths["/api/favorites"]["get"]["tags"] == ["User Account"]
        for method in ("post", "delete"):
            assert paths["/api/favorites/{project_id}"][method]["tags"] == [
                "User Account"
            ]
