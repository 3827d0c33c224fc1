"""Persistence behind a small interface: serialized write transactions and free reads.

SQL in the core is written once, with `?` placeholders; a store for another database
translates them. `open_store(url)` picks the implementation from the URL scheme.
"""
from __future__ import annotations

from typing import Any, AsyncContextManager, Protocol, Sequence

Row = dict[str, Any]


class Tx(Protocol):
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; return the number of rows it changed."""

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT; return the new row's integer id."""

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


class Store(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    def transaction(self) -> AsyncContextManager[Tx]:
        """A write transaction: serialized with every other writer, committed on exit,
        rolled back if the block raises."""

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


def open_store(url: str) -> Store:
    if url.startswith("sqlite:///"):
        from .sqlite import SQLiteStore

        return SQLiteStore(url[len("sqlite:///"):])
    raise ValueError(f"unsupported database URL {url!r}")


class UniqueViolation(Exception):
    """An INSERT or UPDATE hit a unique index; `str(exc)` names the table and columns."""
