"""Opening the SQLite store: pragmas, transactions and migrations.

Two engines share the file. The writer begins every transaction with
``BEGIN IMMEDIATE`` so a writer waits for the lock up front (within
``busy_timeout``) instead of failing half-way with "database is locked"; the
reader uses plain deferred transactions, which WAL lets run beside a writer.

The runner's hot statements are Core constructs compiled once for the writer's
dialect and run on the driver connection of the open write transaction
(:meth:`Database.run`, :meth:`Database.fetch`): same SQL, same connection, same
transaction, without SQLAlchemy's per-execution work, which costs about three
times what SQLite itself does for these small statements.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Dialect, Executable, event, text
from sqlalchemy.engine import Compiled
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from starmap_tui.storage.errors import StoreCorrupt, StoreError, StoreReadOnly
from starmap_tui.storage.migrations import MIGRATIONS, SCHEMA_VERSION
from starmap_tui.storage.preflight import check_database, decode_text

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 20_000


def _configure(engine: AsyncEngine, begin_sql: str, *, wal: bool) -> None:
    """Give every connection our pragmas and our own BEGIN statement."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit transactions are turned off so the
        # "begin" hook below decides how each transaction starts.
        dbapi_connection.isolation_level = None
        dbapi_connection.driver_connection.text_factory = decode_text
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


@dataclass(frozen=True)
class Prepared:
    """A Core statement compiled once: its SQL, binds, defaults and result columns."""

    compiled: Compiled
    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]
    processors: tuple[Callable[[Any], Any] | None, ...]
    columns: tuple[str, ...]

    @classmethod
    def compile(cls, statement: Executable, dialect: Dialect) -> Prepared:
        """Compile ``statement`` with its bind parameters left open."""
        compiled = statement.compile(dialect=dialect)
        if not compiled.positional or compiled.positiontup is None:
            raise ValueError(f"{dialect.name} does not bind by position")
        if getattr(compiled, "post_compile_params", None):
            raise ValueError("expanding parameters (IN lists) cannot be prepared")
        names = tuple(compiled.positiontup)
        binds = compiled.binds
        columns = tuple(getattr(statement, "exported_columns", ()))
        if any(c.type.result_processor(dialect, None) for c in columns):
            raise ValueError(
                "a result column needs converting; run it through SQLAlchemy"
            )
        return cls(
            compiled,
            compiled.string,
            names,
            _column_defaults(compiled),
            tuple(binds[name].type.bind_processor(dialect) for name in names),
            tuple(column.key for column in columns),
        )

    def bind(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The positional parameters: ``values`` over the statement's own."""
        params = self.compiled.construct_params({**self.defaults, **values})
        return tuple(
            params[name] if convert is None else convert(params[name])
            for name, convert in zip(self.names, self.processors, strict=True)
        )


def _column_defaults(compiled: Compiled) -> dict[str, Any]:
    """The table's Python-side defaults, which SQLAlchemy fills in per execution.

    Only constants can be taken once; a computed default would need the
    execution context this path leaves out, so it is refused.
    """
    pairs = [(c, c.default) for c in getattr(compiled, "insert_prefetch", ())]
    pairs += [(c, c.onupdate) for c in getattr(compiled, "update_prefetch", ())]
    defaults: dict[str, Any] = {}
    for column, default in pairs:
        if default is None or not default.is_scalar:
            raise ValueError(f"{column} has a default that is not a constant")
        defaults[column.key] = default.arg
    return defaults


def translate_error(exc: Exception, path: Path) -> StoreError | None:
    """Map a driver error to a StoreError a person can act on, if it is one."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    message = str(orig).lower()
    if "readonly" in message or "read-only" in message:
        return StoreReadOnly(
            f"{path} is read-only; starmap-tui cannot save there. Fix the "
            "permissions, or pass --db with a writable path."
        )
    if "malformed" in message or "not a database" in message:
        return StoreCorrupt(
            f"{path} is damaged ({orig}). Restore a backup, or move it aside "
            "to start a new store."
        )
    if "unable to open" in message:
        return StoreReadOnly(f"Cannot open {path}: {orig}.")
    return None


class Database:
    """The store's connections; use :meth:`write` and :meth:`read`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer = _engine(path, "BEGIN IMMEDIATE", pool_size=1, wal=True)
        self._reader = _engine(path, "BEGIN", pool_size=4, wal=False)
        self._prepared: dict[Executable, Prepared] = {}

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
        except (DBAPIError, sqlite3.Error) as exc:
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

    @asynccontextmanager
    async def write_prepared(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction for prebuilt statements only (:meth:`run`, ...).

        It begins IMMEDIATE and ends on the driver connection itself, sparing
        SQLAlchemy's begin and commit; a ``conn.execute`` inside it would try
        to begin a second transaction and fail.
        """
        async with self._guard(), self._writer.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            await driver.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                await driver.commit()
            except BaseException:
                # Queued on the driver's thread before any later statement,
                # even if this task is cancelled again while it waits.
                await driver.rollback()
                raise

    async def run(
        self, conn: AsyncConnection, statement: Executable, values: Mapping[str, Any]
    ) -> int:
        """Run a prebuilt statement in a write transaction; the rows changed."""
        prepared, driver = await self._driver(conn, statement)
        cursor = await driver.execute(prepared.sql, prepared.bind(values))
        return cursor.rowcount

    async def fetch(
        self, conn: AsyncConnection, statement: Executable, values: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        """Run a prebuilt statement that returns rows; each row as a dict."""
        prepared, driver = await self._driver(conn, statement)
        rows = await driver.execute_fetchall(prepared.sql, prepared.bind(values))
        return [dict(zip(prepared.columns, row, strict=True)) for row in rows]

    async def _driver(
        self, conn: AsyncConnection, statement: Executable
    ) -> tuple[Prepared, Any]:
        # Keyed by identity: hot statements are built once, at import or by a
        # cached factory, so each is compiled once per store.
        prepared = self._prepared.get(statement)
        if prepared is None:
            prepared = Prepared.compile(statement, self._writer.dialect)
            self._prepared[statement] = prepared
        return prepared, (await conn.get_raw_connection()).driver_connection

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
