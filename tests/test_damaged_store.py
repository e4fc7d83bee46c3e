"""A store damaged past its first pages: the dashboard says so in words and
leaves the file as it was."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import uuid
from pathlib import Path

from helpers import sample_answers, wait_until
from test_dashboard import make_app
from textual.widgets import Static

from starmap_tui.storage.repository import Repository

ROWS = 4000


async def build_store(db_path: Path) -> None:
    """A store of ``ROWS`` drafts, written with the standard library."""
    repo = await Repository.open(db_path)
    await repo.close()
    answers = json.dumps(sample_answers())
    stamp = "2026-03-02T09:00:00.000000+00:00"
    rows = [
        (str(uuid.UUID(int=n)), f"Draft {n}", "draft", answers, "[]", stamp, stamp)
        for n in range(ROWS)
    ]
    conn = sqlite3.connect(db_path)
    try:
        conn.executemany(
            "INSERT INTO starmap (id, title, status, stage_answers, "
            "completed_stages, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.commit()
        # Everything into the main file, so the damage below is all there is.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def damage_the_middle(path: Path) -> None:
    """Overwrite the middle half of the file; the header stays sound."""
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.seek(size // 4)
        file.write(b"\xa5" * (size // 2))


def digest(path: Path) -> str:
    """The file's content hash."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_a_store_damaged_inside_is_named_and_left_untouched(db_path: Path):
    await build_store(db_path)
    damage_the_middle(db_path)
    before = digest(db_path)
    app = make_app(db_path)
    async with app.run_test(size=(120, 36)):
        info = app.screen.query_one("#page-info", Static)

        def said() -> str:
            return str(info.render())

        await wait_until(lambda: "damaged" in said(), message="the damage named")
        assert str(db_path) in said()
        assert "left it untouched" in said()
        assert info.has_class("-error")
    assert digest(db_path) == before
    assert not [p for p in os.listdir(db_path.parent) if p.endswith(".tmp")]
