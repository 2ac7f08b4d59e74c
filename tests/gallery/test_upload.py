import base64
import io
from typing import Any

from httpx import AsyncClient
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from app.media.storage import LocalStorage
from app.models import Project
from tests.factories import Caller, create_project, create_user
from tests.gallery import images
from tests.gallery.conftest import stored_keys
from tests.social.helpers import assert_error

ITEM_KEYS = {
    "uuid", "url", "primary_image_path", "preview_url", "preview_image_path",
    "description", "nsfw", "nsfw_image", "project_id", "user_id", "username",
    "created_at", "metadata",
}  # fmt: skip


async def upload(client: AsyncClient, caller: Caller, **body: Any) -> dict[str, Any]:
    body.setdefault("image", images.data_url(images.png()))
    response = await client.post(
        "/api/gallery/upload", json=body, headers=caller.headers
    )
    assert response.status_code == 200, response.text
    item: dict[str, Any] = response.json()
    return item


async def fetch(client: AsyncClient, url: str) -> Image.Image:
    response = await client.get(url)
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.content))


async def has_gallery(session: AsyncSession, project: Project) -> bool:
    await session.refresh(project, ["has_gallery"])
    return project.has_gallery


class TestUploadJson:
    async def test_data_url_for_own_project(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        item = await upload(
            client, alice, project_id=project.id, description="At the lake"
        )

        assert set(item) == ITEM_KEYS
        assert item["url"] == item["primary_image_path"]
        assert item["url"].startswith("http://test/media/gallery/")
        assert item["project_id"] == project.id
        assert item["user_id"] == alice.user.id
        assert item["description"] == "At the lake"
        assert item["metadata"]["width"] == 64
        assert item["metadata"]["content_type"] == "image/png"
        assert await has_gallery(session, project)
        image = await fetch(client, item["url"])
        assert (image.format, image.size) == ("PNG", (64, 48))

    async def test_plain_base64_for_the_caller_alone(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        item = await upload(
            client, alice, image=base64.b64encode(images.png()).decode()
        )

        assert item["project_id"] is None
        assert item["nsfw"] is False

    async def test_image_takes_the_project_nsfw_flag_unless_told(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice, nsfw=True)

        implied = await upload(client, alice, project_id=project.id)
        told = await upload(client, alice, project_id=project.id, nsfw=False)

        assert implied["nsfw"] is True
        assert told["nsfw"] is False

    async def test_animated_gif_keeps_its_frames(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        item = await upload(
            client, alice, image=images.data_url(images.animated_gif(), "gif")
        )

        image = await fetch(client, item["url"])
        assert (image.format, getattr(image, "n_frames", 1)) == ("GIF", 4)


class TestUploadMultipart:
    async def test_file_with_fields(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        project = await create_project(session, alice)

        response = await client.post(
            "/api/gallery/upload",
            files={"file": ("photo.jpg", images.jpeg_with_gps(), "image/jpeg")},
            data={"project_id": str(project.id), "description": "d", "nsfw": "true"},
            headers=alice.headers,
        )

        assert response.status_code == 200, response.text
        item = response.json()
        assert item["project_id"] == project.id
        assert item["nsfw"] is True
        assert item["metadata"]["content_type"] == "image/jpeg"

    async def test_bad_project_id_is_422(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/api/gallery/upload",
            files={"file": ("a.png", images.png(), "image/png")},
            data={"project_id": "twelve"},
            headers=alice.headers,
        )

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "project_id"]


class TestMetadataStripped:
    async def test_exif_and_gps_are_gone(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        original = Image.open(io.BytesIO(images.jpeg_with_gps()))
        assert original.getexif().get_ifd(images.GPS_IFD)

        item = await upload(
            client, alice, image=images.data_url(images.jpeg_with_gps(), "jpeg")
        )

        stored = await fetch(client, item["url"])
        assert stored.format == "JPEG"
        assert len(stored.getexif()) == 0
        assert not stored.getexif().get_ifd(images.GPS_IFD)
        assert "exif" not in stored.info

    async def test_png_text_chunks_are_gone(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        from PIL.PngImagePlugin import PngInfo

        alice = await create_user(session)
        info = PngInfo()
        info.add_text("Location", "52.52N 13.40E")
        buffer = io.BytesIO()
        Image.new("RGB", (10, 10)).save(buffer, format="PNG", pnginfo=info)

        item = await upload(client, alice, image=images.data_url(buffer.getvalue()))

        stored = await fetch(client, item["url"])
        assert "Location" not in stored.info

    async def test_preview_is_a_small_webp(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        item = await upload(
            client, alice, image=images.data_url(images.png((2000, 1000)))
        )

        preview = await fetch(client, item["preview_url"])
        assert preview.format == "WEBP"
        assert preview.size == (512, 256)


class TestHostileUploads:
    async def refused(
        self, client: AsyncClient, session: AsyncSession, storage: LocalStorage,
        data: bytes,
    ) -> None:  # fmt: skip
        alice = await create_user(session)
        before = stored_keys(storage)

        response = await client.post(
            "/api/gallery/upload",
            json={"image": base64.b64encode(data).decode()},
            headers=alice.headers,
        )

        assert_error(response, 400)
        assert stored_keys(storage) == before

    async def test_not_an_image(
        self, client: AsyncClient, session: AsyncSession, storage: LocalStorage
    ) -> None:
        await self.refused(client, session, storage, b"#!/bin/sh\nrm -rf /\n")

    async def test_png_header_then_garbage(
        self, client: AsyncClient, session: AsyncSession, storage: LocalStorage
    ) -> None:
        data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
        await self.refused(client, session, storage, data)

    async def test_truncated_png(
        self, client: AsyncClient, session: AsyncSession, storage: LocalStorage
    ) -> None:
        data = images.png((300, 300), (1, 2, 3))
        await self.refused(client, session, storage, data[: len(data) // 2])

    async def test_decompression_bomb(
        self, client: AsyncClient, session: AsyncSession, storage: LocalStorage
    ) -> None:
        bomb = images.decompression_bomb()
        assert len(bomb) < 1_000_000

        await self.refused(client, session, storage, bomb)

    async def test_other_image_formats(
        self, client: AsyncClient, session: AsyncSession, storage: LocalStorage
    ) -> None:
        await self.refused(client, session, storage, images.bmp())

    async def test_base64_of_nothing(
        self, client: AsyncClient, session: AsyncSession, storage: LocalStorage
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/api/gallery/upload", json={"image": "data:image/png;base64,"},
            headers=alice.headers,
        )  # fmt: skip

        assert_error(response, 400)

    async def test_missing_image_is_422(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)

        response = await client.post(
            "/api/gallery/upload", json={"description": "x"}, headers=alice.headers
        )

        assert response.status_code == 422


class TestUploadAccess:
    async def test_needs_a_key(self, client: AsyncClient) -> None:
        response = await client.post(
            "/api/gallery/upload", json={"image": images.data_url(images.png())}
        )

        assert_error(response, 401)

    async def test_someone_elses_project_is_403(
        self, client: AsyncClient, session: AsyncSession, storage: LocalStorage
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice)
        before = stored_keys(storage)

        response = await client.post(
            "/api/gallery/upload",
            json={"image": images.data_url(images.png()), "project_id": project.id},
            headers=bob.headers,
        )

        assert_error(response, 403)
        assert stored_keys(storage) == before

    async def test_someone_elses_private_project_is_404(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await create_user(session), await create_user(session)
        project = await create_project(session, alice, visibility="private")

        response = await client.post(
            "/api/gallery/upload",
            json={"image": images.data_url(images.png()), "project_id": project.id},
            headers=bob.headers,
        )

        assert_error(response, 404)
