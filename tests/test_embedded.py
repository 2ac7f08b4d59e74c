"""The embedded PostgreSQL's own settings."""

from collections.abc import Callable
from pathlib import Path

import pytest

from app import embedded
from app.embedded import shared_buffers_mb, start_postgres


def _memory(gib: float) -> Callable[[str], int]:
    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": int(gib * 2**30 / 4096)}
    return lambda name: pages[name]


@pytest.mark.parametrize(
    ("gib", "expected"), [(0.25, 128), (2, 512), (3, 768), (24, 1024)]
)
def test_shared_buffers_are_a_quarter_of_memory_within_bounds(
    monkeypatch: pytest.MonkeyPatch, gib: float, expected: int
) -> None:
    monkeypatch.setattr(embedded.os, "sysconf", _memory(gib))

    assert shared_buffers_mb() == expected


def test_first_start_applies_shared_buffers(tmp_path: Path) -> None:
    postgres = start_postgres(tmp_path)
    try:
        shown = postgres.server.psql(
            "SELECT setting::int * 8 / 1024 FROM pg_settings"
            " WHERE name = 'shared_buffers';"
        )
        databases = postgres.server.psql("SELECT datname FROM pg_database;")
    finally:
        postgres.stop()

    assert f" {shared_buffers_mb()}\n" in shown
    assert " rostro\n" in databases
