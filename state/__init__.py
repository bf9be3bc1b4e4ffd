"""The bot's persistent state: one Database interface, SQLite (embedded) or PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from .base import Database, Queries, Row, StoreUnavailable, fetch_one
from .claims import Claims
from .leases import Holder, Lease, this_process
from .meta import Meta
from .url import DatabaseTarget, PostgresTarget, SqliteTarget, mask, parse_database_url


async def open_database(
    target: DatabaseTarget, *, on_retry: Callable[[str, float], None] | None = None
) -> Database:
    """Open and migrate the database DATABASE_URL names."""
    if isinstance(target, SqliteTarget):
        from .sqlite import SqliteDatabase

        return await SqliteDatabase.open(target.path)
    from .postgres import PostgresDatabase

    return await PostgresDatabase.open(target.dsn, on_retry=on_retry)


__all__ = [
    "Claims",
    "Database",
    "DatabaseTarget",
    "Holder",
    "Lease",
    "Meta",
    "PostgresTarget",
    "Queries",
    "Row",
    "SqliteTarget",
    "StoreUnavailable",
    "fetch_one",
    "mask",
    "open_database",
    "parse_database_url",
    "this_process",
]
