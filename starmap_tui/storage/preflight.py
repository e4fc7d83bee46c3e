"""Checks made with the standard library before the store is opened for writing.

They never write: a corrupt or foreign file, or a folder we may not write to,
is reported and left exactly as it was, with no file added beside it.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from starmap_tui.storage.errors import (
    StoreCorrupt,
    StoreForeign,
    StoreReadOnly,
    StoreTooNew,
)
from starmap_tui.storage.migrations import SCHEMA_VERSION

# What SQLite keeps beside a database while it is open (or after a crash).
SIDE_FILE_SUFFIXES = ("-wal", "-shm", "-journal")


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


def side_files(path: Path) -> list[Path]:
    """The journal, WAL and shared-memory files beside ``path`` that exist."""
    return [
        found
        for suffix in SIDE_FILE_SUFFIXES
        if (found := path.with_name(path.name + suffix)).exists()
    ]


def decode_text(raw: bytes) -> str:
    """Text from the store, with bytes that are not UTF-8 shown as U+FFFD.

    A row damaged inside (or written by another tool) then reads as text with
    replacement characters instead of stopping every reader at that row.
    """
    return raw.decode("utf-8", errors="replace")


def connect_for_reading(
    path: Path, *, timeout: float, check_same_thread: bool = True
) -> sqlite3.Connection:
    """A connection that only reads ``path`` and leaves its folder as it was.

    A read-only (``mode=ro``) connection to a WAL database creates the -wal
    and -shm files beside it and, unable to checkpoint, leaves them there on
    close. When no side file exists nobody has the database open, so a
    connection that may write but refuses to (``query_only``) is used: as the
    last one out, SQLite removes what it made, and with no journal and an
    empty WAL it has nothing to write. When side files exist they belong to
    another connection or to a crash, and ``mode=ro`` reads through them
    without replaying anything into the file.
    """
    uri = path.resolve().as_uri()
    quiet = not side_files(path) and _may_write_beside(path)
    conn = sqlite3.connect(
        f"{uri}?mode={'rw' if quiet else 'ro'}",
        uri=True,
        timeout=timeout,
        check_same_thread=check_same_thread,
    )
    conn.text_factory = decode_text
    try:
        if quiet:
            conn.execute("PRAGMA query_only = ON")
    except BaseException:
        conn.close()
        raise
    return conn


def _may_write_beside(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def corrupt_error(path: Path, exc: sqlite3.DatabaseError) -> StoreCorrupt:
    """The error for a file SQLite cannot read as a database."""
    return StoreCorrupt(
        f"{path} is damaged ({exc}). starmap-tui left it untouched. Restore "
        "a backup, or move it aside to start a new store."
    )


def _read_version(path: Path) -> int:
    try:
        with closing(connect_for_reading(path, timeout=15)) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            (objects,) = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        # Only SQLite opens the file: closing a handle opened any other way
        # would drop every lock this process holds on it, and another process
        # could then reset the WAL under our own connections.
        raise corrupt_error(path, exc) from exc
    # Every migration bumps the version in its own transaction, so a store of
    # ours at version 0 is empty: tables there belong to another program.
    if version == 0 and objects:
        raise StoreForeign(
            f"{path} is a SQLite database of another program (it has tables but "
            "no starmap-tui schema). starmap-tui left it untouched; point --db "
            "at a new file or an existing starmap-tui store."
        )
    return int(version)
