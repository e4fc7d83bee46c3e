"""Opening the SQLite store: pragmas, transactions and migrations.

Two engines share the file. The writer begins every transaction with
``BEGIN IMMEDIATE`` so a writer waits for the lock up front (within
``busy_timeout``) instead of failing half-way with "database is locked"; the
reader uses plain deferred transactions, which WAL lets run beside a writer.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from starmap_tui.storage.errors import StoreCorrupt, StoreError, StoreReadOnly
from starmap_tui.storage.migrations import MIGRATIONS, SCHEMA_VERSION
from starmap_tui.storage.preflight import check_database

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 20_000


def _configure(engine: AsyncEngine, begin_sql: str, *, wal: bool) -> None:
    """Give every connection our pragmas and our own BEGIN statement."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit transactions are turned off so the
        # "begin" hook below decides how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        if wal:
            # Persistent in the file; only the writer may switch it on.
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin_sql)


def _engine(path: Path, begin_sql: str, pool_size: int, *, wal: bool) -> AsyncEngine:
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{path}",
        pool_size=pool_size,
        max_overflow=0,
        # Every transaction ends in an explicit commit or rollback, so the
        # pool's own rollback on check-in would only cost another thread hop.
        pool_reset_on_return=None,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
    )
    _configure(engine, begin_sql, wal=wal)
    return engine


def translate_error(exc: DBAPIError, path: Path) -> StoreError | None:
    """Map a driver error to a StoreError a person can act on, if it is one."""
    message = str(exc.orig).lower()
    if "readonly" in message or "read-only" in message:
        return StoreReadOnly(
            f"{path} is read-only; starmap-tui cannot save there. Fix the "
            "permissions, or pass --db with a writable path."
        )
    if "malformed" in message or "not a database" in message:
        return StoreCorrupt(
            f"{path} is damaged ({exc.orig}). Restore a backup, or move it aside "
            "to start a new store."
        )
    if "unable to open" in message:
        return StoreReadOnly(f"Cannot open {path}: {exc.orig}.")
    return None


class Database:
    """The store's connections; use :meth:`write` and :meth:`read`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer = _engine(path, "BEGIN IMMEDIATE", pool_size=1, wal=True)
        self._reader = _engine(path, "BEGIN", pool_size=4, wal=False)

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Check, create and migrate the database at ``path``."""
        path = path.expanduser().resolve()
        version = check_database(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        database = cls(path)
        try:
            await database._prepare(version)
        except BaseException:
            await database.close()
            raise
        return database

    async def _prepare(self, version: int) -> None:
        if version < SCHEMA_VERSION:
            await self._migrate(version)
        else:
            async with self.read() as conn:
                await conn.exec_driver_sql("SELECT count(*) FROM starmap")

    async def _migrate(self, version: int) -> None:
        for target in range(version + 1, SCHEMA_VERSION + 1):
            async with self.write() as conn:
                current = (await conn.exec_driver_sql("PRAGMA user_version")).scalar()
                if current is not None and current >= target:
                    continue
                for statement in MIGRATIONS[target - 1]:
                    await conn.exec_driver_sql(statement)
                await conn.exec_driver_sql(f"PRAGMA user_version = {int(target)}")
            log.info("migrated %s to schema %d", self.path, target)

    @asynccontextmanager
    async def _guard(self) -> AsyncIterator[None]:
        try:
            yield
        except DBAPIError as exc:
            mapped = translate_error(exc, self.path)
            if mapped is None:
                raise
            raise mapped from exc

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction, begun IMMEDIATE and committed on success."""
        async with self._guard(), self._writer.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read transaction that sees one consistent snapshot."""
        async with self._guard(), self._reader.begin() as conn:
            yield conn

    async def close(self) -> None:
        """Close every connection."""
        await self._writer.dispose()
        await self._reader.dispose()


async def schema_of(conn: AsyncConnection) -> dict[str, list[str]]:
    """Each table's column names in order; used to compare schemas."""
    rows = await conn.execute(
        text("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    )
    schema: dict[str, list[str]] = {}
    for (name,) in rows:
        info = await conn.exec_driver_sql(f'PRAGMA table_info("{name}")')
        schema[name] = [row[1] for row in info]
    return schema
