"""Shared fixtures: every test gets its own STARMAP_HOME, never a real store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from starmap_tui.storage.repository import Repository


@pytest.fixture(autouse=True)
def starmap_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every location at a temporary folder for the test."""
    home = tmp_path / "home"
    monkeypatch.setenv("STARMAP_HOME", str(home))
    for name in (
        "STARMAP_PROVIDER",
        "STARMAP_MODEL",
        "STARMAP_BASE_URL",
        "STARMAP_API_KEY",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    yield home


@pytest.fixture
def db_path(starmap_home: Path) -> Path:
    """Where this test's database lives."""
    return starmap_home / "data" / "starmap.db"


@pytest.fixture
async def repo(db_path: Path) -> AsyncIterator[Repository]:
    """An open repository on a fresh store."""
    repository = await Repository.open(db_path)
    try:
        yield repository
    finally:
        await repository.close()
