"""PostgreSQL through one small asyncpg pool for the bot's life.

Every process of the bot may share the database: migrations run under an advisory lock,
so a second process starting at the same time waits, then finds nothing left to do.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncpg

from . import migrations
from .base import Queries, Row, StoreUnavailable
from .url import mask

log = logging.getLogger(__name__)

T = TypeVar("T")

POOL_MIN, POOL_MAX = 0, 5  # no floor: asyncpg would log a traceback per refill while down
COMMAND_TIMEOUT = 10.0
CONNECT_TIMEOUT = 5.0
MIGRATION_LOCK = 0x6D696E69  # pg_advisory_xact_lock key: "mini"
LOST = (
    asyncpg.PostgresConnectionError,
    asyncpg.InvalidCatalogNameError,  # the database is gone (or not created yet)
    asyncpg.InvalidAuthorizationSpecificationError,  # the role or password no longer works
    asyncpg.InterfaceError,  # also: the pool is closed (a command finishing at shutdown)
    asyncpg.InternalClientError,  # "cannot switch to state …": the server went away mid-batch
    asyncpg.CannotConnectNowError,
    asyncpg.exceptions.OperatorInterventionError,  # the server shutting down (AdminShutdown)
    asyncpg.TooManyConnectionsError,
    OSError,
    TimeoutError,
)


def _affected(status: str) -> int:
    """Rows changed, from a command tag such as "INSERT 0 1" or "UPDATE 3"."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


async def _guard(work: Awaitable[T], where: str) -> T:
    try:
        return await work
    except LOST as exc:
        raise StoreUnavailable(f"PostgreSQL at {where}: {exc.__class__.__name__}") from exc


class _Conn:
    def __init__(self, conn: Any, where: str) -> None:
        self.conn = conn
        self.where = where

    async def fetch(self, sql: str, *args: object) -> list[Row]:
        return list(await _guard(self.conn.fetch(sql, *args), self.where))

    async def execute(self, sql: str, *args: object) -> int:
        return _affected(await _guard(self.conn.execute(sql, *args), self.where))

    async def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        await _guard(self.conn.executemany(sql, [tuple(r) for r in rows]), self.where)


class PostgresDatabase:
    def __init__(self, pool: asyncpg.Pool, dsn: str) -> None:
        self._pool = pool
        self.where = mask(dsn)
        self._all = _Conn(pool, self.where)

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        give_up_after: float = 60.0,
        on_retry: Callable[[str, float], None] | None = None,
    ) -> PostgresDatabase:
        """Connect (retrying with backoff for up to `give_up_after` seconds: a database that
        is still starting is normal on these platforms) and migrate."""
        started = time.monotonic()
        delay = 0.5
        while True:
            pool = await asyncpg.create_pool(  # min_size 0: connects on first use
                dsn,
                min_size=POOL_MIN,
                max_size=POOL_MAX,
                command_timeout=COMMAND_TIMEOUT,
                timeout=CONNECT_TIMEOUT,
                reset=_keep_session,
            )
            try:
                await _migrate(pool)
                return cls(pool, dsn)
            except LOST as exc:
                await pool.close()
                reason = exc.__class__.__name__
                if time.monotonic() - started + delay > give_up_after:
                    raise StoreUnavailable(
                        f"cannot reach PostgreSQL at {mask(dsn)} ({reason})"
                    ) from exc
                if on_retry is not None:
                    on_retry(reason, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 8.0)
            except BaseException:
                await pool.close()
                raise

    async def fetch(self, sql: str, *args: object) -> list[Row]:
        return await self._all.fetch(sql, *args)

    async def execute(self, sql: str, *args: object) -> int:
        return await self._all.execute(sql, *args)

    async def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        await self._all.executemany(sql, rows)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Queries]:
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                yield _Conn(conn, self.where)
        except LOST as exc:
            raise StoreUnavailable(f"PostgreSQL at {self.where}: {exc.__class__.__name__}") from exc

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self._pool.close(), 5)
        except (TimeoutError, *LOST):
            self._pool.terminate()


async def _keep_session(conn: asyncpg.Connection) -> None:
    """No reset query when a connection goes back to the pool: the bot keeps no session
    state (its one lock is transaction-scoped, and asyncpg rolls back an open transaction
    itself), and the reset was a second round trip per statement."""


async def _migrate(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        version = await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version")
        known = len(migrations.POSTGRES)
        if version > known:
            raise RuntimeError(migrations.too_new(version, known))
        for number, script in enumerate(migrations.POSTGRES[version:], start=version + 1):
            await conn.execute(script)
            await conn.execute("INSERT INTO schema_version(version) VALUES ($1)", number)
    log.info("%s", migrations.where_it_is(version, known))
