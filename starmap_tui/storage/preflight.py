"""Checks made with the standard library before the store is opened for writing.

They never write: a corrupt or foreign file, or a folder we may not write to,
is reported and left exactly as it was.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from starmap_tui.storage.errors import StoreCorrupt, StoreReadOnly, StoreTooNew
from starmap_tui.storage.migrations import SCHEMA_VERSION


def check_database(path: Path) -> int:
    """Return the schema version of ``path`` (0 when new); raise if unusable."""
    if not path.exists():
        _check_writable_dir(path.parent)
        return 0
    _check_writable(path)
    version = _read_version(path)
    if version > SCHEMA_VERSION:
        raise StoreTooNew(
            f"{path} was written by a newer starmap-tui (schema {version}; this "
            f"version knows up to {SCHEMA_VERSION}). Upgrade starmap-tui, or "
            "point --db at another file."
        )
    return version


def _check_writable_dir(folder: Path) -> None:
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not os.access(probe, os.W_OK | os.X_OK):
        raise StoreReadOnly(
            f"Cannot create the database: {probe} is not writable. Fix its "
            "permissions, or choose another place with --db PATH or STARMAP_HOME."
        )


def _check_writable(path: Path) -> None:
    if not os.access(path, os.R_OK):
        raise StoreReadOnly(f"Cannot read {path}: permission denied.")
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise StoreReadOnly(
            f"{path} (or its folder) is read-only; starmap-tui needs to write "
            "there (SQLite keeps its journal beside the file). Fix the "
            "permissions, or copy the file elsewhere and pass --db."
        )


def _read_version(path: Path) -> int:
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True, timeout=15)) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return int(version)
    except sqlite3.DatabaseError as exc:
        # Only SQLite opens the file: closing a handle opened any other way
        # would drop every lock this process holds on it, and another process
        # could then reset the WAL under our own connections.
        raise StoreCorrupt(
            f"{path} is damaged ({exc}). starmap-tui left it untouched. Restore "
            "a backup, or move it aside to start a new store."
        ) from exc
