"""Where media files live: one interface for avatars, cards and images.

Keys are relative paths such as ``avatars/12/ab34.png``; content-addressed keys
never change content, so they can be cached forever.
"""

import asyncio
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)


class InvalidKey(ValueError):
    pass


@dataclass(frozen=True)
class StoredFile:
    """A stored key and when it was written, as the garbage collector sees it."""

    key: str
    modified_at: datetime


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes | None: ...

    async def delete(self, key: str) -> None: ...

    async def delete_prefix(self, prefix: str) -> None:
        """Delete every key under a folder-like prefix (``assets/12/``)."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The file of a key when the storage is the local disk, else None."""
        ...

    async def list_files(self) -> list[StoredFile]:
        """Every stored file, for backups and the garbage collector."""
        ...


class LocalStorage:
    """Files under a directory, written atomically (temporary file, then rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not key or not path.is_relative_to(self.root) or path == self.root:
            raise InvalidKey(key)
        return path

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError):
            return None

    async def delete(self, key: str) -> None:
        try:
            await asyncio.to_thread(self._path(key).unlink, True)
        except InvalidKey:
            log.warning("media.invalid_key_deleted", key=key)

    async def delete_prefix(self, prefix: str) -> None:
        folder = self._path(prefix.rstrip("/"))
        await asyncio.to_thread(shutil.rmtree, folder, True)

    async def list_files(self) -> list[StoredFile]:
        """Every stored file, for the garbage collector."""
        return await asyncio.to_thread(self._list_files)

    def _list_files(self) -> list[StoredFile]:
        if not self.root.is_dir():
            return []
        return [
            StoredFile(
                key=path.relative_to(self.root).as_posix(),
                modified_at=datetime.fromtimestamp(path.stat().st_mtime, UTC),
            )
            for path in self.root.rglob("*")
            # Temporary files of writes under way are not ours to judge.
            if path.is_file() and not path.name.startswith(".tmp-")
        ]


CONTENT_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".json": "application/json",
    ".zip": "application/zip",
    ".charx": "application/zip",
}


def content_type_of(key: str) -> str:
    return CONTENT_TYPES.get(Path(key).suffix.lower(), "application/octet-stream")
