from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import create_project, create_user
from tests.gallery.test_upload import upload
from tests.social.helpers import assert_error, get_json

ENVELOPE = {"count", "nodes", "page", "items", "total", "limit"}


def uuids(body: dict[str, Any]) -> list[str]:
    assert set(body) == ENVELOPE
    assert body["items"] == body["nodes"]
    return [item["uuid"] for item in body["items"]]


class TestListGallery:
    async def test_public_projects_only_newest_first(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        public = await create_project(session, alice)
        private = await create_project(session, alice, visibility="private")
        unlisted = await create_project(session, alice, visibility="unlisted")
        older = await upload(client, alice, project_id=public.id)
        newer = await upload(client, alice, project_id=public.id)
        hidden = [
            await upload(client, alice, project_id=private.id),
            await upload(client, alice, project_id=unlisted.id),
            await upload(client, alice),
        ]

        body = await get_json(client, "/api/gallery", alice, limit=200)

        found = uuids(body)
        assert found.index(newer["uuid"]) < found.index(older["uuid"])
        assert not {item["uuid"] for item in hidden} & set(found)
        assert body["limit"] == 200
        assert body["page"] == 1

    async def test_nsfw_false_hides_nsfw_images_and_projects(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        plain = await create_project(session, alice)
        nsfw_project = await create_project(session, alice, nsfw=True)
        shown = await upload(client, alice, project_id=plain.id)
        flagged = await upload(client, alice, project_id=plain.id, nsfw=True)
        of_nsfw = await upload(client, alice, project_id=nsfw_project.id, nsfw=False)

        body = await get_json(client, "/api/gallery", nsfw=False, limit=200)

        found = set(uuids(body))
        assert shown["uuid"] in found
        assert not {flagged["uuid"], of_nsfw["uuid"]} & found


class TestListProjectGallery:
    async def test_pages_and_counts(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)
        items = [await upload(client, alice, project_id=project.id) for _ in range(3)]
        path = f"/api/gallery/project/{project.id}"

        first = await get_json(client, path, limit=2)
        second = await get_json(client, path, limit=2, page=2)
        uncounted = await get_json(client, path, limit=2, count=False)

        assert uuids(first) + uuids(second) == [i["uuid"] for i in reversed(items)]
        assert first["count"] == first["total"] == 3
        assert uncounted["count"] == uncounted["total"] == 2

    async def test_nsfw_false(self, client: AsyncClient, session: AsyncSession) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)
        shown = await upload(client, alice, project_id=project.id)
        await upload(client, alice, project_id=project.id, nsfw=True)

        body = await get_json(
            client, f"/api/gallery/project/{project.id}", nsfw="false"
        )

        assert uuids(body) == [shown["uuid"]]

    async def test_private_project_is_404_to_others(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice, visibility="private")
        item = await upload(client, alice, project_id=project.id)
        path = f"/api/gallery/project/{project.id}"

        anonymous = await client.get(path)
        other = await client.get(path, headers=bob.headers)
        owner = await get_json(client, path, alice)

        assert_error(anonymous, 404)
        assert_error(other, 404)
        assert uuids(owner) == [item["uuid"]]

    async def test_unlisted_project_by_id(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice, visibility="unlisted")
        item = await upload(client, alice, project_id=project.id)

        body = await get_json(client, f"/api/gallery/project/{project.id}")

        assert uuids(body) == [item["uuid"]]

    async def test_unknown_project_is_404(self, client: AsyncClient) -> None:
        response = await client.get("/api/gallery/project/999999999")

        assert_error(response, 404)
