import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Project, ProjectTag, Tag
from app.tags.service import names_by_project
from tests.factories import create_project, create_user

ERROR_KEYS = {"detail", "error", "errorCode", "code"}
SUCCESS = {"message": "success", "success": True}


def assert_error(response_json: dict[str, object], status: int) -> None:
    assert set(response_json) == ERROR_KEYS
    assert response_json["errorCode"] == status
    assert response_json["code"] == status
    assert response_json["detail"] == response_json["error"]


async def tag_names(session: AsyncSession, project: Project) -> list[str]:
    # A refused request rolls back, which expires what the session had loaded.
    await session.refresh(project)
    return (await names_by_project(session, [project.id])).get(project.id, [])


class TestAddTag:
    async def test_adds_the_tag(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        response = await client.post(
            f"/api/tags/{project.id}/Fantasy", headers=alice.headers
        )

        assert response.status_code == 200
        assert response.json() == SUCCESS
        assert await tag_names(session, project) == ["Fantasy"]

    async def test_name_is_trimmed(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        await client.post(
            f"/api/tags/{project.id}/%20Slow%20Burn%20", headers=alice.headers
        )

        assert await tag_names(session, project) == ["Slow Burn"]

    async def test_case_differences_are_the_same_tag(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice, topics=["Fantasy"])

        response = await client.post(
            f"/api/tags/{project.id}/fANTASY", headers=alice.headers
        )

        assert response.status_code == 200
        assert await tag_names(session, project) == ["Fantasy"]

    async def test_adding_twice_keeps_one_row(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        for _ in range(2):
            await client.post(f"/api/tags/{project.id}/OC", headers=alice.headers)

        count = select(func.count()).where(ProjectTag.project_id == project.id)
        assert (await session.execute(count)).scalar_one() == 1

    async def test_existing_tag_is_shared_between_projects(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        first = await create_project(session, alice, topics=["Sci-Fi"])
        second = await create_project(session, alice)

        await client.post(f"/api/tags/{second.id}/sci-fi", headers=alice.headers)

        count = select(func.count()).select_from(Tag).where(Tag.key == "sci-fi")
        assert (await session.execute(count)).scalar_one() == 1
        assert await tag_names(session, second) == await tag_names(session, first)

    async def test_64_characters_are_accepted(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)
        name = "x" * 64

        response = await client.post(
            f"/api/tags/{project.id}/{name}", headers=alice.headers
        )

        assert response.status_code == 200
        assert await tag_names(session, project) == [name]

    async def test_65_characters_are_400(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        response = await client.post(
            f"/api/tags/{project.id}/{'x' * 65}", headers=alice.headers
        )

        assert response.status_code == 400
        assert_error(response.json(), 400)
        assert await tag_names(session, project) == []

    async def test_blank_name_is_400(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        response = await client.post(
            f"/api/tags/{project.id}/%20%20", headers=alice.headers
        )

        assert response.status_code == 400
        assert_error(response.json(), 400)


class TestContentFlagTags:
    @pytest.mark.parametrize(("tagname", "flag"), [("NSFW", "nsfw"), ("nsfl", "nsfl")])
    async def test_adding_sets_the_flag_and_stores_no_tag(
        self, client: AsyncClient, session: AsyncSession, tagname: str, flag: str
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        response = await client.post(
            f"/api/tags/{project.id}/{tagname}", headers=alice.headers
        )

        assert response.status_code == 200
        await session.refresh(project)
        assert getattr(project, flag) is True
        assert await tag_names(session, project) == []

    @pytest.mark.parametrize(("tagname", "flag"), [("Nsfw", "nsfw"), ("NSFL", "nsfl")])
    async def test_removing_clears_the_flag(
        self, client: AsyncClient, session: AsyncSession, tagname: str, flag: str
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice, nsfw=True, nsfl=True)

        response = await client.delete(
            f"/api/tags/{project.id}/{tagname}", headers=alice.headers
        )

        assert response.status_code == 200
        await session.refresh(project)
        assert getattr(project, flag) is False

    async def test_removing_one_flag_keeps_the_other(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice, nsfw=True, nsfl=True)

        await client.delete(f"/api/tags/{project.id}/NSFW", headers=alice.headers)

        await session.refresh(project)
        assert (project.nsfw, project.nsfl) == (False, True)


class TestTagLimit:
    async def test_101st_tag_is_400(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        topics = [f"tag {i}" for i in range(100)]
        project = await create_project(session, alice, topics=topics)

        response = await client.post(
            f"/api/tags/{project.id}/one-too-many", headers=alice.headers
        )

        assert response.status_code == 400
        assert_error(response.json(), 400)
        assert len(await tag_names(session, project)) == 100

    async def test_100th_tag_is_accepted(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        topics = [f"tag {i}" for i in range(99)]
        project = await create_project(session, alice, topics=topics)

        response = await client.post(
            f"/api/tags/{project.id}/the-last-one", headers=alice.headers
        )

        assert response.status_code == 200
        assert len(await tag_names(session, project)) == 100

    async def test_a_tag_already_there_is_accepted_at_the_limit(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        topics = [f"tag {i}" for i in range(100)]
        project = await create_project(session, alice, topics=topics)

        response = await client.post(
            f"/api/tags/{project.id}/TAG%200", headers=alice.headers
        )

        assert response.status_code == 200
        assert len(await tag_names(session, project)) == 100

    async def test_content_flag_is_accepted_at_the_limit(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        topics = [f"tag {i}" for i in range(100)]
        project = await create_project(session, alice, topics=topics)

        response = await client.post(
            f"/api/tags/{project.id}/NSFW", headers=alice.headers
        )

        assert response.status_code == 200
        await session.refresh(project)
        assert project.nsfw is True


class TestRemoveTag:
    async def test_removes_the_tag(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice, topics=["Fantasy", "OC"])

        response = await client.delete(
            f"/api/tags/{project.id}/Fantasy", headers=alice.headers
        )

        assert response.status_code == 200
        assert response.json() == SUCCESS
        assert await tag_names(session, project) == ["OC"]

    async def test_name_is_trimmed_and_compared_without_case(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice, topics=["Slow Burn"])

        await client.delete(
            f"/api/tags/{project.id}/%20slow%20BURN%20", headers=alice.headers
        )

        assert await tag_names(session, project) == []

    async def test_absent_tag_is_a_success(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice, topics=["OC"])

        response = await client.delete(
            f"/api/tags/{project.id}/never-added", headers=alice.headers
        )

        assert response.status_code == 200
        assert response.json() == SUCCESS
        assert await tag_names(session, project) == ["OC"]

    async def test_other_projects_keep_the_tag(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        mine = await create_project(session, alice, topics=["OC"])
        other = await create_project(session, alice, topics=["OC"])

        await client.delete(f"/api/tags/{mine.id}/OC", headers=alice.headers)

        assert await tag_names(session, other) == ["OC"]

    async def test_too_long_name_is_400(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        response = await client.delete(
            f"/api/tags/{project.id}/{'x' * 65}", headers=alice.headers
        )

        assert response.status_code == 400
        assert_error(response.json(), 400)


@pytest.mark.parametrize("method", ["POST", "DELETE"])
class TestTagPermissions:
    async def test_anonymous_is_401(
        self, client: AsyncClient, session: AsyncSession, method: str
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice, topics=["OC"])

        response = await client.request(method, f"/api/tags/{project.id}/OC")

        assert response.status_code == 401
        assert_error(response.json(), 401)

    async def test_someone_else_is_403(
        self, client: AsyncClient, session: AsyncSession, method: str
    ) -> None:
        alice = await create_user(session)
        bob = await create_user(session)
        project = await create_project(session, alice, topics=["OC"])

        response = await client.request(
            method, f"/api/tags/{project.id}/OC", headers=bob.headers
        )

        assert response.status_code == 403
        assert_error(response.json(), 403)
        assert await tag_names(session, project) == ["OC"]

    async def test_someone_elses_unlisted_project_is_403(
        self, client: AsyncClient, session: AsyncSession, method: str
    ) -> None:
        alice = await create_user(session)
        bob = await create_user(session)
        project = await create_project(session, alice, visibility="unlisted")

        response = await client.request(
            method, f"/api/tags/{project.id}/OC", headers=bob.headers
        )

        assert response.status_code == 403

    async def test_someone_elses_private_project_is_404(
        self, client: AsyncClient, session: AsyncSession, method: str
    ) -> None:
        alice = await create_user(session)
        bob = await create_user(session)
        project = await create_project(session, alice, visibility="private")

        response = await client.request(
            method, f"/api/tags/{project.id}/OC", headers=bob.headers
        )

        assert response.status_code == 404
        assert_error(response.json(), 404)

    async def test_own_private_project_is_allowed(
        self, client: AsyncClient, session: AsyncSession, method: str
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice, visibility="private")

        response = await client.request(
            method, f"/api/tags/{project.id}/OC", headers=alice.headers
        )

        assert response.status_code == 200

    async def test_unknown_project_is_404(
        self, client: AsyncClient, session: AsyncSession, method: str
    ) -> None:
        alice = await create_user(session)

        response = await client.request(
            method, f"/api/tags/{2**62}/OC", headers=alice.headers
        )

        assert response.status_code == 404
        assert_error(response.json(), 404)

    @pytest.mark.parametrize("project_id", ["abc", "0", "-1", "1.5", str(2**63)])
    async def test_malformed_project_id_is_422(
        self, client: AsyncClient, session: AsyncSession, method: str, project_id: str
    ) -> None:
        alice = await create_user(session)

        response = await client.request(
            method, f"/api/tags/{project_id}/OC", headers=alice.headers
        )

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["path", "project_id"]


class TestTagRoutesDocumentation:
    async def test_routes_are_tagged_unstable(self, client: AsyncClient) -> None:
        response = await client.get("/openapi.json")

        operations = response.json()["paths"]["/api/tags/{project_id}/{tagname}"]
        assert operations["post"]["tags"] == ["Unstable"]
        assert operations["delete"]["tags"] == ["Unstable"]
        assert operations["post"]["description"] == "Add a tag to this entity."
