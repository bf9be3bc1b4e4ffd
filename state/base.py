"""The one interface every store is written against, whichever database is behind it.

SQL is written once, in the dialect both backends understand: `$1` parameters, `INSERT …
ON CONFLICT`, `CAST(… AS TEXT)`, times as ISO text or epoch numbers. What differs (how to
connect, how writes are serialised, the schema's DDL) lives in the two implementations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

Row = Sequence[Any]


class StoreUnavailable(Exception):
    """The database cannot be used right now (locked, unreachable, connection lost); the
    message says why, without the password."""


class Queries(Protocol):
    async def fetch(self, sql: str, *args: object) -> list[Row]:
        """The rows of a query, or of a write with `RETURNING` (one round trip for both)."""
        ...

    async def execute(self, sql: str, *args: object) -> int:
        """Run one statement; returns how many rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None: ...


class Database(Queries, Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Queries]:
        """Several writes that land together or not at all."""
        ...

    async def close(self) -> None: ...


async def fetch_one(db: Queries, sql: str, *args: object) -> Row | None:
    rows = await db.fetch(sql, *args)
    return rows[0] if rows else None
