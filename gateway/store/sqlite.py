"""SQLite through aiosqlite: WAL, one writer connection (BEGIN IMMEDIATE, serialized by a
lock), one reader connection. Other processes (the CLI) may write the same file; SQLite's
busy timeout serializes them with us."""
from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Sequence

import sqlite3

import aiosqlite

from . import UniqueViolation
from .schema import MIGRATIONS

Row = dict[str, Any]


def _dict_factory(cursor, row):
    return {d[0]: row[i] for i, d in enumerate(cursor.description)}


class _Tx:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def _run(self, sql: str, params: Sequence[Any]):
        try:
            return await self._conn.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise UniqueViolation(str(exc)) from exc
            raise

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._run(sql, params)
        count = cur.rowcount
        await cur.close()
        return count

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._run(sql, params)
        rowid = cur.lastrowid
        await cur.close()
        return rowid

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())


class SQLiteStore:
    def __init__(self, path: str) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        # One read at a time on the reader: overlapping statements on one SQLite connection
        # share one read transaction, whose snapshot would then hide commits made meanwhile
        # (a payment just written could read as missing under load).
        self._read_lock = asyncio.Lock()

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = _dict_factory
        await conn.execute("PRAGMA busy_timeout = 10000")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        await self._writer.execute("PRAGMA journal_mode = WAL")
        await self._migrate()
        # An in-memory database exists only on its one connection.
        self._reader = self._writer if self.path == ":memory:" else await self._connect()

    async def close(self) -> None:
        for conn in {id(c): c for c in (self._reader, self._writer) if c}.values():
            await conn.close()
        self._writer = self._reader = None

    async def _migrate(self) -> None:
        async with self.transaction() as tx:
            await tx.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
            row = await tx.fetchone("SELECT MAX(version) AS v FROM schema_migrations")
            current = (row or {}).get("v") or 0
            for version, script in MIGRATIONS:
                if version <= current:
                    continue
                for statement in _split(script):
                    await tx.execute(statement)
                await tx.execute("INSERT INTO schema_migrations VALUES (?, ?)",
                                 (version, int(time.time())))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_Tx]:
        assert self._writer is not None, "store not open"
        async with self._lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield _Tx(self._writer)
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            else:
                await self._writer.execute("COMMIT")

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        assert self._reader is not None, "store not open"
        async with self._read_lock, self._reader.execute(sql, params) as cur:
            return await cur.fetchone()

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        assert self._reader is not None, "store not open"
        async with self._read_lock, self._reader.execute(sql, params) as cur:
            return list(await cur.fetchall())


def _split(script: str) -> list[str]:
    """Split a migration into statements (no semicolons inside our statements' literals)."""
    lines = [ln for ln in script.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
