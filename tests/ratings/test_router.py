from datetime import datetime
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Project, Rating
from app.ratings import service
from tests.factories import Caller, create_project, create_user

ERROR_KEYS = {"detail", "error", "errorCode", "code"}
SUCCESS = {"message": "success", "success": True}


def assert_error(response_json: dict[str, object], status: int) -> None:
    assert set(response_json) == ERROR_KEYS
    assert response_json["errorCode"] == status
    assert response_json["code"] == status
    assert response_json["detail"] == response_json["error"]


async def counters(session: AsyncSession, project_id: int) -> tuple[int, int]:
    """n_ratings and rating_sum as stored, whatever the session holds."""
    stmt = select(Project.n_ratings, Project.rating_sum).where(Project.id == project_id)
    n_ratings, rating_sum = (await session.execute(stmt)).one()
    return n_ratings, rating_sum


async def count_ratings(session: AsyncSession, **where: int) -> int:
    stmt = select(func.count()).select_from(Rating).filter_by(**where)
    return (await session.execute(stmt)).scalar_one()


async def rate(
    client: AsyncClient, caller: Caller, project_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        f"/api/project/{project_id}/rate", json=body, headers=caller.headers
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


class TestRateProject:
    async def test_first_rating_is_stored_and_counted(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)

        body = await rate(client, bob, project.id, {"rating": 4, "comment": "Nice"})

        assert body == SUCCESS
        stored = await session.get_one(
            Rating, (project.id, bob.user.id), populate_existing=True
        )
        assert (stored.rating, stored.comment) == (4, "Nice")
        assert await counters(session, project.id) == (1, 4)

    async def test_second_call_updates_the_rating(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)

        await rate(client, bob, project.id, {"rating": 5})
        await rate(client, bob, project.id, {"rating": 2})

        assert await count_ratings(session, project_id=project.id) == 1
        assert await counters(session, project.id) == (1, 2)

    async def test_ratings_of_several_users_add_up(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        raters = [await create_user(session) for _ in range(3)]
        project = await create_project(session, alice)

        for rater, stars in zip(raters, (5, 4, 1), strict=True):
            await rate(client, rater, project.id, {"rating": stars})
        await rate(client, raters[2], project.id, {"rating": 3})

        assert await counters(session, project.id) == (3, 12)

    async def test_counters_are_shifted_not_recomputed(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)
        # Counts carried over from elsewhere (an import) must survive a rating.
        await session.execute(
            update(Project)
            .where(Project.id == project.id)
            .values(n_ratings=10, rating_sum=37)
        )

        await rate(client, bob, project.id, {"rating": 5})
        await rate(client, bob, project.id, {"rating": 3})

        assert await counters(session, project.id) == (11, 40)

    async def test_update_without_comment_keeps_the_comment(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)

        await rate(client, bob, project.id, {"rating": 5, "comment": "Great"})
        await rate(client, bob, project.id, {"rating": 4})

        stored = await session.get_one(
            Rating, (project.id, bob.user.id), populate_existing=True
        )
        assert (stored.rating, stored.comment) == (4, "Great")

    async def test_update_with_comment_replaces_it(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)

        await rate(client, bob, project.id, {"rating": 5, "comment": "Great"})
        await rate(client, bob, project.id, {"rating": 5, "comment": ""})

        stored = await session.get_one(
            Rating, (project.id, bob.user.id), populate_existing=True
        )
        assert stored.comment == ""

    async def test_update_moves_updated_at_only(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)
        await rate(client, bob, project.id, {"rating": 5})
        first = await session.get_one(
            Rating, (project.id, bob.user.id), populate_existing=True
        )
        created_at, updated_at = first.created_at, first.updated_at

        await rate(client, bob, project.id, {"rating": 1})

        again = await session.get_one(
            Rating, (project.id, bob.user.id), populate_existing=True
        )
        assert again.created_at == created_at
        assert again.updated_at > updated_at

    async def test_unlisted_project_can_be_rated(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice, visibility="unlisted")

        await rate(client, bob, project.id, {"rating": 3})

        assert await counters(session, project.id) == (1, 3)

    async def test_unknown_body_fields_are_ignored(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)

        await rate(client, bob, project.id, {"rating": 2, "venus": True})

        assert await counters(session, project.id) == (1, 2)


class TestRatingRefusals:
    async def test_own_project_is_403(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)
        project_id = project.id

        response = await client.post(
            f"/api/project/{project_id}/rate", json={"rating": 5}, headers=alice.headers
        )

        assert response.status_code == 403
        assert_error(response.json(), 403)
        assert await counters(session, project_id) == (0, 0)

    async def test_disabled_ratings_are_400(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)
        project.ratings_disabled = True
        project_id = project.id

        response = await client.post(
            f"/api/project/{project_id}/rate", json={"rating": 5}, headers=bob.headers
        )

        assert response.status_code == 400
        assert_error(response.json(), 400)
        assert await count_ratings(session, project_id=project_id) == 0

    async def test_someone_elses_private_project_is_404(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice, visibility="private")
        project_id = project.id

        response = await client.post(
            f"/api/project/{project_id}/rate", json={"rating": 5}, headers=bob.headers
        )

        assert response.status_code == 404
        assert_error(response.json(), 404)
        assert await count_ratings(session, project_id=project_id) == 0

    async def test_unknown_project_is_404(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        bob = await create_user(session)

        response = await client.post(
            f"/api/project/{2**62}/rate", json={"rating": 5}, headers=bob.headers
        )

        assert response.status_code == 404
        assert_error(response.json(), 404)

    async def test_anonymous_is_401(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        response = await client.post(
            f"/api/project/{project.id}/rate", json={"rating": 5}
        )

        assert response.status_code == 401
        assert_error(response.json(), 401)


class TestRatingValidation:
    @pytest.mark.parametrize(
        "body",
        [
            {"rating": 0},
            {"rating": 6},
            {"rating": -1},
            {"rating": "five"},
            {"rating": 4.5},
            {"rating": None},
            {},
            {"comment": "no rating"},
            {"rating": 5, "comment": "x" * 5001},
        ],
    )
    async def test_bad_body_is_422(
        self, client: AsyncClient, session: AsyncSession, body: dict[str, Any]
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)
        project_id = project.id

        response = await client.post(
            f"/api/project/{project_id}/rate", json=body, headers=bob.headers
        )

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"][0] == "body"
        assert await count_ratings(session, project_id=project_id) == 0

    async def test_comment_of_5000_characters_is_accepted(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)

        await rate(client, bob, project.id, {"rating": 5, "comment": "é" * 5000})

        stored = await session.get_one(
            Rating, (project.id, bob.user.id), populate_existing=True
        )
        assert stored.comment == "é" * 5000

    @pytest.mark.parametrize("project_id", ["abc", "0", "1e3", str(2**63)])
    async def test_malformed_project_id_is_422(
        self, client: AsyncClient, session: AsyncSession, project_id: str
    ) -> None:
        bob = await create_user(session)

        response = await client.post(
            f"/api/project/{project_id}/rate", json={"rating": 5}, headers=bob.headers
        )

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["path", "project_id"]


class TestListRatings:
    async def test_no_ratings(self, client: AsyncClient, session: AsyncSession) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        response = await client.get(f"/api/project/{project.id}/ratings")

        assert response.status_code == 200
        assert response.json() == {"ratings": [], "average": 0, "count": 0}

    async def test_each_rating_carries_its_fields(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        bob = await create_user(session, username="bob_rates")
        project = await create_project(session, alice)
        await rate(client, bob, project.id, {"rating": 4, "comment": "Good"})

        response = await client.get(f"/api/project/{project.id}/ratings")

        [entry] = response.json()["ratings"]
        stored = await session.get_one(
            Rating, (project.id, bob.user.id), populate_existing=True
        )
        assert entry == {
            "user_id": bob.user.id,
            "username": "bob_rates",
            "rating": 4,
            "comment": "Good",
            "created_at": entry["created_at"],
            "updated_at": entry["updated_at"],
        }
        assert datetime.fromisoformat(entry["created_at"]) == stored.created_at
        assert datetime.fromisoformat(entry["updated_at"]) == stored.updated_at

    async def test_newest_first(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        raters = [await create_user(session) for _ in range(3)]
        project = await create_project(session, alice)
        for rater in raters:
            await rate(client, rater, project.id, {"rating": 5})

        response = await client.get(f"/api/project/{project.id}/ratings")

        ids = [entry["user_id"] for entry in response.json()["ratings"]]
        assert ids == [rater.user.id for rater in reversed(raters)]

    async def test_average_and_count_cover_all_ratings(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        raters = [await create_user(session) for _ in range(3)]
        project = await create_project(session, alice)
        for rater, stars in zip(raters, (1, 2, 2), strict=True):
            await rate(client, rater, project.id, {"rating": stars})

        response = await client.get(
            f"/api/project/{project.id}/ratings", params={"limit": 1}
        )

        body = response.json()
        assert (body["average"], body["count"]) == (1.67, 3)
        assert len(body["ratings"]) == 1

    async def test_pages(self, client: AsyncClient, session: AsyncSession) -> None:
        alice = await create_user(session)
        raters = [await create_user(session) for _ in range(5)]
        project = await create_project(session, alice)
        for rater in raters:
            await rate(client, rater, project.id, {"rating": 3})

        response = await client.get(
            f"/api/project/{project.id}/ratings", params={"page": 2, "limit": 2}
        )

        ids = [entry["user_id"] for entry in response.json()["ratings"]]
        assert ids == [raters[2].user.id, raters[1].user.id]

    async def test_page_past_the_end_is_empty(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)
        await rate(client, bob, project.id, {"rating": 3})

        response = await client.get(
            f"/api/project/{project.id}/ratings", params={"page": 3}
        )

        assert response.json() == {"ratings": [], "average": 3.0, "count": 1}

    async def test_default_limit_is_50(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        raters = [await create_user(session) for _ in range(51)]
        project = await create_project(session, alice)
        for rater in raters:
            await rate(client, rater, project.id, {"rating": 3})

        response = await client.get(f"/api/project/{project.id}/ratings")

        assert len(response.json()["ratings"]) == 50
        assert response.json()["count"] == 51

    @pytest.mark.parametrize(
        "params",
        [{"limit": 0}, {"limit": 201}, {"page": 0}, {"page": "two"}, {"limit": "x"}],
    )
    async def test_bad_paging_is_422(
        self, client: AsyncClient, session: AsyncSession, params: dict[str, Any]
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        response = await client.get(f"/api/project/{project.id}/ratings", params=params)

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"][0] == "query"

    async def test_limit_of_200_is_accepted(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        response = await client.get(
            f"/api/project/{project.id}/ratings", params={"limit": 200}
        )

        assert response.status_code == 200

    async def test_private_project_is_404_for_others(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice, visibility="private")

        anonymous = await client.get(f"/api/project/{project.id}/ratings")
        other = await client.get(
            f"/api/project/{project.id}/ratings", headers=bob.headers
        )

        assert anonymous.status_code == other.status_code == 404
        assert_error(anonymous.json(), 404)

    async def test_private_project_is_readable_by_its_creator(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice, visibility="private")

        response = await client.get(
            f"/api/project/{project.id}/ratings", headers=alice.headers
        )

        assert response.status_code == 200

    async def test_unknown_project_is_404(self, client: AsyncClient) -> None:
        response = await client.get(f"/api/project/{2**62}/ratings")

        assert response.status_code == 404
        assert_error(response.json(), 404)

    async def test_huge_project_id_is_422(self, client: AsyncClient) -> None:
        response = await client.get(f"/api/project/{2**63}/ratings")

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["path", "project_id"]


class TestRatingsSwitch:
    async def test_disable_sets_the_flag(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        response = await client.post(
            f"/api/project/{project.id}/ratings/disable", headers=alice.headers
        )

        assert response.json() == SUCCESS
        await session.refresh(project)
        assert project.ratings_disabled is True

    async def test_enable_clears_the_flag_and_rating_works_again(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)
        project.ratings_disabled = True

        response = await client.post(
            f"/api/project/{project.id}/ratings/enable", headers=alice.headers
        )
        await rate(client, bob, project.id, {"rating": 4})

        assert response.json() == SUCCESS
        await session.refresh(project)
        assert project.ratings_disabled is False
        assert await counters(session, project.id) == (1, 4)

    async def test_disable_keeps_existing_ratings(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)
        await rate(client, bob, project.id, {"rating": 4})

        await client.post(
            f"/api/project/{project.id}/ratings/disable", headers=alice.headers
        )

        assert await counters(session, project.id) == (1, 4)
        listed = await client.get(f"/api/project/{project.id}/ratings")
        assert listed.json()["count"] == 1

    async def test_disable_twice_is_a_success(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        for _ in range(2):
            response = await client.post(
                f"/api/project/{project.id}/ratings/disable", headers=alice.headers
            )

        assert response.json() == SUCCESS

    @pytest.mark.parametrize("action", ["disable", "enable"])
    async def test_someone_else_is_403(
        self, client: AsyncClient, session: AsyncSession, action: str
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)
        project_id = project.id

        response = await client.post(
            f"/api/project/{project_id}/ratings/{action}", headers=bob.headers
        )

        assert response.status_code == 403
        assert_error(response.json(), 403)
        await session.refresh(project)
        assert project.ratings_disabled is False

    @pytest.mark.parametrize("action", ["disable", "enable"])
    async def test_anonymous_is_401(
        self, client: AsyncClient, session: AsyncSession, action: str
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        response = await client.post(f"/api/project/{project.id}/ratings/{action}")

        assert response.status_code == 401

    @pytest.mark.parametrize("action", ["disable", "enable"])
    async def test_someone_elses_private_project_is_404(
        self, client: AsyncClient, session: AsyncSession, action: str
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice, visibility="private")

        response = await client.post(
            f"/api/project/{project.id}/ratings/{action}", headers=bob.headers
        )

        assert response.status_code == 404

    @pytest.mark.parametrize("project_id", ["abc", str(2**63)])
    async def test_malformed_project_id_is_422(
        self, client: AsyncClient, session: AsyncSession, project_id: str
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            f"/api/project/{project_id}/ratings/disable", headers=alice.headers
        )

        assert response.status_code == 422


class TestRatingsWhenThingsAreDeleted:
    async def test_deleting_a_project_removes_its_ratings_only(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        doomed = await create_project(session, alice)
        kept = await create_project(session, alice)
        doomed_id = doomed.id
        await rate(client, bob, doomed_id, {"rating": 2})
        await rate(client, bob, kept.id, {"rating": 5})

        response = await client.delete(
            f"/api/project/{doomed_id}", headers=alice.headers
        )

        assert response.status_code == 200
        assert await count_ratings(session, project_id=doomed_id) == 0
        assert await count_ratings(session, user_id=bob.user.id) == 1
        assert await counters(session, kept.id) == (1, 5)

    async def test_deleting_an_account_removes_its_ratings_and_projects(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        carol = await create_user(session)
        bobs_project = await create_project(session, bob)
        bystander = await create_project(session, carol)
        bob_id, bobs_project_id = bob.user.id, bobs_project.id
        await rate(client, carol, bobs_project_id, {"rating": 4})
        await rate(client, alice, bystander.id, {"rating": 3})
        # Use bob's key once first: the accounts service fails (StaleDataError)
        # to delete an account whose key has not been used for a while.
        await client.get("/api/account", headers=bob.headers)

        response = await client.delete("/api/account", headers=bob.headers)

        assert response.status_code == 200
        assert await count_ratings(session, user_id=bob_id) == 0
        assert await count_ratings(session, project_id=bobs_project_id) == 0
        assert await counters(session, bystander.id) == (1, 3)

    async def test_withdrawn_ratings_leave_exact_counters(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)
        other = await create_project(session, alice)
        await rate(client, bob, project.id, {"rating": 2})
        carol = await create_user(session)
        await rate(client, carol, project.id, {"rating": 5})
        await rate(client, carol, other.id, {"rating": 1})

        await service.withdraw_user_ratings(session, bob.user.id)

        assert await count_ratings(session, user_id=bob.user.id) == 0
        assert await counters(session, project.id) == (1, 5)
        assert await counters(session, other.id) == (1, 1)


class TestRatingRoutesDocumentation:
    async def test_routes_carry_their_tags(self, client: AsyncClient) -> None:
        response = await client.get("/openapi.json")

        paths = response.json()["paths"]
        assert paths["/api/project/{project_id}/rate"]["post"]["tags"] == ["Projects"]
        assert paths["/api/project/{project_id}/ratings"]["get"]["tags"] == [
            "Read-Only"
        ]
        for action in ("disable", "enable"):
            operation = paths[f"/api/project/{{project_id}}/ratings/{action}"]["post"]
            assert operation["tags"] == ["Projects"]
