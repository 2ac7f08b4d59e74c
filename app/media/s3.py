"""Media in S3-compatible object storage (AWS S3, MinIO, Ceph, R2, ...).

boto3's client is synchronous and thread-safe: each call runs in a worker
thread so that the event loop never waits on the network.
"""

import asyncio
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import structlog
from botocore.config import Config
from botocore.exceptions import ClientError

from app.config import Settings
from app.media.storage import InvalidKey, StoredFile, content_type_of

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = structlog.get_logger(__name__)

# DeleteObjects takes at most this many keys per call.
DELETE_BATCH = 1000
_MISSING = {"NoSuchKey", "404", "NotFound"}


class S3Storage:
    """Objects in one bucket, under an optional key prefix."""

    def __init__(self, client: "S3Client", bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @classmethod
    def from_settings(cls, settings: Settings) -> "S3Storage":
        assert settings.s3_bucket is not None
        secret = settings.s3_secret_access_key
        client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}),
        )
        return cls(client, settings.s3_bucket, settings.s3_prefix)

    def _object(self, key: str) -> str:
        parts = key.split("/")
        if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise InvalidKey(key)
        return self.prefix + key

    def local_path(self, key: str) -> Path | None:
        return None

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object,
            Bucket=self.bucket,
            Key=self._object(key),
            Body=data,
            ContentType=content_type or content_type_of(key),
        )

    async def get(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._get, self._object(key))

    def _get(self, name: str) -> bytes | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        return response["Body"].read()

    async def delete(self, key: str) -> None:
        try:
            name = self._object(key)
        except InvalidKey:
            log.warning("media.invalid_key_deleted", key=key)
            return
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=name)

    async def delete_prefix(self, prefix: str) -> None:
        folder = self._object(prefix.rstrip("/")) + "/"
        await asyncio.to_thread(self._delete_under, folder)

    def _delete_under(self, folder: str) -> None:
        names = [name for name, _ in self._walk(folder)]
        for start in range(0, len(names), DELETE_BATCH):
            batch = names[start : start + DELETE_BATCH]
            self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": name} for name in batch], "Quiet": True},
            )

    async def list_files(self) -> list[StoredFile]:
        """Every object under the prefix, for the garbage collector."""
        return await asyncio.to_thread(self._list_files)

    def _list_files(self) -> list[StoredFile]:
        start = len(self.prefix)
        return [
            StoredFile(key=name[start:], modified_at=modified)
            for name, modified in self._walk(self.prefix)
        ]

    def _walk(self, folder: str) -> Iterator[tuple[str, datetime]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=folder
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"], item["LastModified"]
