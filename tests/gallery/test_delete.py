from uuid import UUID

from httpx import AsyncClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.media.storage import LocalStorage
from app.models import GalleryImage, Project
from tests.factories import create_project, create_user
from tests.gallery.conftest import stored_keys
from tests.gallery.test_upload import has_gallery, upload
from tests.social.helpers import SUCCESS, assert_error


async def image_row(session: AsyncSession, uuid: str) -> GalleryImage | None:
    stmt = select(GalleryImage).where(GalleryImage.uuid == UUID(uuid))
    return (
        await session.execute(stmt.execution_options(populate_existing=True))
    ).scalar_one_or_none()


async def give_to_project(session: AsyncSession, uuid: str, project: Project) -> None:
    """Attach an image to a project, as an image of a user other than the
    project's creator would be (uploads only attach to one's own projects)."""
    await session.execute(
        update(GalleryImage)
        .where(GalleryImage.uuid == UUID(uuid))
        .values(project_id=project.id)
    )
    await session.execute(
        update(Project).where(Project.id == project.id).values(has_gallery=True)
    )


class TestDeleteImage:
    async def test_uploader_deletes_row_and_files(
        self, client: AsyncClient, session: AsyncSession, storage: LocalStorage
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)
        item = await upload(client, alice, project_id=project.id)
        assert stored_keys(storage, f"gallery/{item['uuid']}/")

        response = await client.delete(
            f"/api/gallery/{item['uuid']}", headers=alice.headers
        )

        assert response.json() == SUCCESS
        assert await image_row(session, item["uuid"]) is None
        assert stored_keys(storage, f"gallery/{item['uuid']}/") == set()
        assert not await has_gallery(session, project)
        missing = await client.get(item["url"])
        assert missing.status_code == 404

    async def test_has_gallery_stays_while_images_remain(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)
        first = await upload(client, alice, project_id=project.id)
        await upload(client, alice, project_id=project.id)

        await client.delete(f"/api/gallery/{first['uuid']}", headers=alice.headers)

        assert await has_gallery(session, project)

    async def test_others_get_403(
        self, client: AsyncClient, session: AsyncSession, storage: LocalStorage
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        item = await upload(client, alice)

        response = await client.delete(
            f"/api/gallery/{item['uuid']}", headers=bob.headers
        )

        assert_error(response, 403)
        assert await image_row(session, item["uuid"]) is not None
        assert stored_keys(storage, f"gallery/{item['uuid']}/")

    async def test_unknown_image_is_404(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.delete(
            "/api/gallery/3e41a43b-4ffc-41dd-8ad8-5cb6846b9160", headers=alice.headers
        )

        assert_error(response, 404)

    async def test_needs_a_key(self, client: AsyncClient) -> None:
        response = await client.delete(
            "/api/gallery/3e41a43b-4ffc-41dd-8ad8-5cb6846b9160"
        )

        assert_error(response, 401)


class TestDissociate:
    async def test_project_owner_removes_it_from_the_project(
        self, client: AsyncClient, session: AsyncSession, storage: LocalStorage
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)
        item = await upload(client, bob)
        await give_to_project(session, item["uuid"], project)

        response = await client.delete(
            f"/api/gallery/{item['uuid']}",
            params={"projectId": project.id},
            headers=alice.headers,
        )

        assert response.json() == SUCCESS
        row = await image_row(session, item["uuid"])
        assert row is not None
        assert row.project_id is None
        assert stored_keys(storage, f"gallery/{item['uuid']}/")
        assert not await has_gallery(session, project)

    async def test_without_project_id_is_403(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)
        item = await upload(client, bob)
        await give_to_project(session, item["uuid"], project)

        response = await client.delete(
            f"/api/gallery/{item['uuid']}", headers=alice.headers
        )

        assert_error(response, 403)

    async def test_owner_of_another_project_is_403(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob, carol = [await create_user(session) for _ in range(3)]
        project = await create_project(session, alice)
        carols = await create_project(session, carol)
        item = await upload(client, bob)
        await give_to_project(session, item["uuid"], project)

        response = await client.delete(
            f"/api/gallery/{item['uuid']}",
            params={"projectId": carols.id},
            headers=carol.headers,
        )

        assert_error(response, 403)


class TestFilesFollowTheirOwners:
    async def test_deleting_a_project_removes_its_creators_images(
        self, client: AsyncClient, session: AsyncSession, storage: LocalStorage
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)
        own = await upload(client, alice, project_id=project.id)
        others = await upload(client, bob)
        await give_to_project(session, others["uuid"], project)

        response = await client.delete(
            f"/api/project/{project.id}", headers=alice.headers
        )

        assert response.status_code == 200, response.text
        assert await image_row(session, own["uuid"]) is None
        assert stored_keys(storage, f"gallery/{own['uuid']}/") == set()
        kept = await image_row(session, others["uuid"])
        assert kept is not None
        assert kept.project_id is None
        assert stored_keys(storage, f"gallery/{others['uuid']}/")

    async def test_deleting_an_account_removes_its_uploads(
        self, client: AsyncClient, session: AsyncSession, storage: LocalStorage
    ) -> None:
        bob = await create_user(session)
        item = await upload(client, bob)

        response = await client.delete("/api/account", headers=bob.headers)

        assert response.status_code == 200, response.text
        assert await image_row(session, item["uuid"]) is None
        assert stored_keys(storage, f"gallery/{item['uuid']}/") == set()
