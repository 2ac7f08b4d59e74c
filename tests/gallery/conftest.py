from pathlib import Path

import pytest
from httpx import AsyncClient

from app.media.storage import LocalStorage


@pytest.fixture
def storage(client: AsyncClient) -> LocalStorage:
    """The storage of the app behind `client`."""
    storage = client._transport.app.state.storage  # type: ignore[attr-defined]
    assert isinstance(storage, LocalStorage)
    return storage


def stored_keys(storage: LocalStorage, prefix: str = "gallery/") -> set[str]:
    root: Path = storage.root
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and path.relative_to(root).as_posix().startswith(prefix)
    }
