from collections.abc import AsyncIterator

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.config import Settings
from app.db import get_session, run_after_commit
from app.kit.redis import create_redis
from app.main import create_app
from app.media.backend import create_storage
from app.media.s3 import S3Storage
from app.media.storage import InvalidKey, LocalStorage
from tests.factories import create_user
from tests.gallery import images


class TestS3Storage:
    async def test_round_trip(self, s3_storage: S3Storage) -> None:
        await s3_storage.put("avatars/a/1.png", b"png bytes", "image/png")

        data = await s3_storage.get("avatars/a/1.png")

        assert data == b"png bytes"
        assert s3_storage.local_path("avatars/a/1.png") is None

    async def test_objects_sit_under_the_prefix(self, s3_storage: S3Storage) -> None:
        await s3_storage.put("cards/1/x.png", b"x", "image/png")

        listed = s3_storage.client.list_objects_v2(Bucket=s3_storage.bucket)

        assert [o["Key"] for o in listed["Contents"]] == ["media/cards/1/x.png"]

    async def test_content_type_is_kept(self, s3_storage: S3Storage) -> None:
        await s3_storage.put("gallery/u/p.webp", b"w", "image/webp")

        head = s3_storage.client.head_object(
            Bucket=s3_storage.bucket, Key="media/gallery/u/p.webp"
        )

        assert head["ContentType"] == "image/webp"

    async def test_missing_key_is_none(self, s3_storage: S3Storage) -> None:
        assert await s3_storage.get("avatars/none.png") is None

    async def test_delete(self, s3_storage: S3Storage) -> None:
        await s3_storage.put("avatars/a/1.png", b"1", "image/png")

        await s3_storage.delete("avatars/a/1.png")
        await s3_storage.delete("avatars/a/1.png")

        assert await s3_storage.get("avatars/a/1.png") is None

    async def test_delete_prefix_spares_neighbours(self, s3_storage: S3Storage) -> None:
        for key in ("assets/1/a.png", "assets/1/sub/b.png", "assets/12/c.png"):
            await s3_storage.put(key, b"x", "image/png")

        await s3_storage.delete_prefix("assets/1/")

        assert [f.key for f in await s3_storage.list_files()] == ["assets/12/c.png"]

    async def test_unsafe_keys_are_refused(self, s3_storage: S3Storage) -> None:
        for key in ("", "/abs.png", "a/../b.png", "a//b.png"):
            with pytest.raises(InvalidKey):
                await s3_storage.put(key, b"x", "image/png")


class TestStorageChoice:
    def test_local_without_a_bucket(self, settings: Settings) -> None:
        assert isinstance(create_storage(settings), LocalStorage)

    def test_s3_with_a_bucket(self, s3_settings: Settings) -> None:
        storage = create_storage(s3_settings)

        assert isinstance(storage, S3Storage)
        assert storage.bucket == s3_settings.s3_bucket


@pytest.fixture
async def s3_client(
    s3_settings: Settings, engine: AsyncEngine, session: AsyncSession
) -> AsyncIterator[AsyncClient]:
    """The API over ASGI, storing media in the S3 server."""
    app = create_app(s3_settings)
    app.state.engine = engine
    app.state.redis = create_redis(s3_settings)

    async def test_session() -> AsyncIterator[AsyncSession]:
        await session.commit()
        yield session
        await session.commit()
        await run_after_commit(session)

    app.dependency_overrides[get_session] = test_session
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
    await app.state.redis.aclose()


class TestApiOverS3:
    async def test_gallery_upload_served_and_deleted(
        self, s3_client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        storage = s3_client._transport.app.state.storage  # type: ignore[attr-defined]
        assert isinstance(storage, S3Storage)

        uploaded = await s3_client.post(
            "/api/gallery/upload",
            json={"image": images.data_url(images.png())},
            headers=alice.headers,
        )
        item = uploaded.json()
        served = await s3_client.get(item["url"])
        keys_before = [f.key for f in await storage.list_files()]
        await s3_client.delete(f"/api/gallery/{item['uuid']}", headers=alice.headers)
        keys_after = [f.key for f in await storage.list_files()]

        assert uploaded.status_code == 200, uploaded.text
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/png"
        assert "immutable" in served.headers["cache-control"]
        assert served.content[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(keys_before) == 2
        assert keys_after == []

    async def test_unknown_media_is_404(self, s3_client: AsyncClient) -> None:
        response = await s3_client.get("/media/gallery/nothing/here.png")

        assert response.status_code == 404
