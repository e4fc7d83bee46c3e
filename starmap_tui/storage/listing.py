"""The dashboard's and ``list``'s reads, with nothing but the standard library.

These run before the ORM is imported so the first screen paints fast. They
only read, and leave no file beside the store (see
:func:`~starmap_tui.storage.preflight.connect_for_reading`). Filters are
bound parameters.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing
from pathlib import Path

from starmap_tui.storage.convert import ROW_COLUMNS, starmap_row
from starmap_tui.storage.errors import AmbiguousStarmap, UnknownStarmap
from starmap_tui.storage.migrations import SCHEMA_VERSION
from starmap_tui.storage.preflight import connect_for_reading
from starmap_tui.storage.records import IN_PROGRESS, StarmapRow, Stats

FILTERS: dict[str, tuple[str, ...]] = {
    "all": (),
    "draft": ("draft",),
    "processing": ("queued", "processing"),
    "completed": ("completed",),
    "failed": ("failed",),
    "cancelled": ("cancelled",),
    "queued": ("queued",),
    "in-progress": IN_PROGRESS,
}


def statuses_for(filter_name: str) -> tuple[str, ...]:
    """The statuses a filter name covers; raises KeyError for unknown names."""
    return FILTERS[filter_name]


def _where(statuses: Sequence[str], search: str) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if statuses:
        clauses.append(f"status IN ({', '.join('?' for _ in statuses)})")
        params.extend(statuses)
    if search.strip():
        escaped = search.strip().replace("\\", "\\\\").replace("%", "\\%")
        clauses.append("title LIKE ? ESCAPE '\\'")
        params.append("%" + escaped.replace("_", "\\_") + "%")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def iter_rows(
    conn: sqlite3.Connection,
    statuses: Sequence[str] = (),
    search: str = "",
    limit: int | None = None,
) -> Iterator[StarmapRow]:
    """Every matching starmap, streamed from the cursor (for ``list``)."""
    where, params = _where(statuses, search)
    sql = f"SELECT {ROW_COLUMNS} FROM starmap{where} ORDER BY updated_at DESC, id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    for row in conn.execute(sql, params):
        yield starmap_row(row)


def iter_brief(
    conn: sqlite3.Connection,
    statuses: Sequence[str] = (),
    search: str = "",
    limit: int | None = None,
) -> Iterator[tuple[str, str, int, str, str]]:
    """(id, status, progress, updated_at ISO text, title) of every match, streamed.

    The lean form for printing long lists: no record objects, no date parsing.
    """
    where, params = _where(statuses, search)
    sql = (
        "SELECT id, status, report_job_progress, updated_at, title "
        f"FROM starmap{where} ORDER BY updated_at DESC, id DESC"
    )
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return conn.execute(sql, params)


def select_rows(
    conn: sqlite3.Connection,
    statuses: Sequence[str] = (),
    search: str = "",
    limit: int = 50,
    offset: int = 0,
) -> list[StarmapRow]:
    """One page of starmaps, most recently updated first."""
    where, params = _where(statuses, search)
    sql = (
        f"SELECT {ROW_COLUMNS} FROM starmap{where} "
        "ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?"
    )
    return [starmap_row(row) for row in conn.execute(sql, [*params, limit, offset])]


def count_rows(
    conn: sqlite3.Connection, statuses: Sequence[str] = (), search: str = ""
) -> int:
    """How many starmaps match the filter."""
    where, params = _where(statuses, search)
    return conn.execute(f"SELECT count(*) FROM starmap{where}", params).fetchone()[0]


def position_of(
    conn: sqlite3.Connection,
    starmap_id: str,
    statuses: Sequence[str] = (),
    search: str = "",
) -> int | None:
    """The 0-based index of a starmap in the filtered order, or None."""
    found = conn.execute(
        "SELECT updated_at FROM starmap WHERE id = ?", (starmap_id,)
    ).fetchone()
    if found is None:
        return None
    where, params = _where(statuses, search)
    joiner = " AND " if where else " WHERE "
    sql = (
        f"SELECT count(*) FROM starmap{where}{joiner}"
        "(updated_at > ? OR (updated_at = ? AND id > ?))"
    )
    before = conn.execute(sql, [*params, found[0], found[0], starmap_id]).fetchone()
    return before[0]


def select_stats(conn: sqlite3.Connection) -> Stats:
    """Counts by status for the dashboard header."""
    rows = conn.execute("SELECT status, count(*) FROM starmap GROUP BY status")
    counts = dict(rows.fetchall())
    return Stats(
        total=sum(counts.values()),
        completed=counts.get("completed", 0),
        in_progress=sum(counts.get(s, 0) for s in IN_PROGRESS),
        failed=counts.get("failed", 0),
    )


def matching_ids(conn: sqlite3.Connection, prefix: str) -> list[str]:
    """Up to six starmap ids that start with ``prefix``."""
    low = prefix.strip().lower()
    rows = conn.execute(
        "SELECT id FROM starmap WHERE id >= ? AND id < ? ORDER BY id LIMIT 6",
        (low, low + "\uffff"),
    )
    return [row[0] for row in rows]


def pick_one(prefix: str, ids: list[str]) -> str:
    """The single id matching a prefix, or a clear error."""
    if not prefix.strip():
        raise UnknownStarmap("Give a starmap id (or the start of one).")
    if not ids:
        raise UnknownStarmap(
            f"No starmap id starts with '{prefix}'. Run 'starmap-tui list' to see ids."
        )
    if len(ids) > 1:
        shown = ", ".join(i[:13] for i in ids[:5])
        raise AmbiguousStarmap(
            f"'{prefix}' matches more than one starmap ({shown}). Type more of the id."
        )
    return ids[0]


def connect_readonly(path: Path) -> sqlite3.Connection | None:
    """A read-only connection to an up-to-date store; None if it can't serve.

    None means "use the full store instead": the file is missing, or its
    schema is older than this version (the full store migrates it first).
    """
    if not path.exists():
        return None
    conn = connect_for_reading(path, timeout=20, check_same_thread=False)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError:
        conn.close()
        raise
    if version != SCHEMA_VERSION:
        conn.close()
        return None
    return conn


class LightReader:
    """Read-only listing for first paint and ``starmap-tui list``."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @classmethod
    def open(cls, path: Path) -> LightReader | None:
        """Open ``path`` read-only, or None if the full store is needed."""
        conn = connect_readonly(path)
        return cls(conn) if conn is not None else None

    def rows(
        self,
        statuses: Sequence[str] = (),
        search: str = "",
        limit: int = 50,
        offset: int = 0,
    ) -> list[StarmapRow]:
        """One page of starmaps."""
        return select_rows(self._conn, statuses, search, limit, offset)

    def count(self, statuses: Sequence[str] = (), search: str = "") -> int:
        """How many starmaps match."""
        return count_rows(self._conn, statuses, search)

    def stats(self) -> Stats:
        """The dashboard's counters."""
        return select_stats(self._conn)

    def iter_rows(
        self, statuses: Sequence[str] = (), search: str = "", limit: int | None = None
    ) -> Iterator[StarmapRow]:
        """Every matching starmap, streamed."""
        return iter_rows(self._conn, statuses, search, limit)

    def iter_brief(
        self, statuses: Sequence[str] = (), limit: int | None = None
    ) -> Iterator[tuple[str, str, int, str, str]]:
        """Lean tuples of every matching starmap, streamed."""
        return iter_brief(self._conn, statuses, "", limit)

    def resolve_id(self, prefix: str) -> str:
        """The full id of the one starmap whose id starts with ``prefix``."""
        return pick_one(prefix, matching_ids(self._conn, prefix))

    def close(self) -> None:
        """Close the connection."""
        with closing(self._conn):
            pass
