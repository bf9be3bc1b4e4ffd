"""SQLite: one aiosqlite connection for the bot's life (WAL, a busy timeout), writes one at a
time. Several processes may share the file: migrations and writes take SQLite's own lock."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from . import migrations
from .base import Queries, Row, StoreUnavailable

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
_PARAM = re.compile(r"\$(\d+)")
# OperationalError: locked, disk I/O; ProgrammingError/ValueError: the connection is closed
# (a command still finishing while the bot shuts down).
_UNUSABLE = (sqlite3.OperationalError, sqlite3.ProgrammingError, ValueError)


def _sql(text: str) -> str:
    """`$1` parameters as SQLite spells them (`?1`)."""
    return _PARAM.sub(r"?\1", text)


def _writes(sql: str) -> bool:
    return sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE")


class _Conn:
    """The queries of one aiosqlite connection, failures turned into StoreUnavailable."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def fetch(self, sql: str, *args: object) -> list[Row]:
        """One trip to aiosqlite's thread (a cursor, its rows and its closing are three)."""
        try:
            return list(await self.conn.execute_fetchall(_sql(sql), args))
        except _UNUSABLE as exc:
            raise StoreUnavailable(f"SQLite: {exc}") from exc

    async def execute(self, sql: str, *args: object) -> int:
        try:
            async with self.conn.execute(_sql(sql), args) as cur:
                return cur.rowcount
        except _UNUSABLE as exc:
            raise StoreUnavailable(f"SQLite: {exc}") from exc

    async def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        try:
            await self.conn.executemany(_sql(sql), [tuple(r) for r in rows])
        except _UNUSABLE as exc:
            raise StoreUnavailable(f"SQLite: {exc}") from exc


class SqliteDatabase:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = _Conn(conn)
        self._write = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> SqliteDatabase:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = aiosqlite.connect(path, isolation_level=None)
        try:
            await conn
        except BaseException:
            _join_worker(conn)
            raise
        try:
            await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            await _use_wal(conn)
            await conn.execute("PRAGMA synchronous=NORMAL")
            await _migrate(conn)
        except BaseException:
            await conn.close()
            raise
        return cls(conn)

    async def fetch(self, sql: str, *args: object) -> list[Row]:
        if _writes(sql):  # `INSERT … RETURNING`: never inside another coroutine's transaction
            async with self._write:
                return await self._conn.fetch(sql, *args)
        return await self._conn.fetch(sql, *args)

    async def execute(self, sql: str, *args: object) -> int:
        async with self._write:
            return await self._conn.execute(sql, *args)

    async def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Queries]:
        """One atomic write: other coroutines' writes wait, so none lands half-done."""
        async with self._write:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                with contextlib.suppress(*_UNUSABLE):
                    await self._conn.conn.rollback()
                raise
            try:
                await self._conn.conn.commit()
            except _UNUSABLE as exc:
                with contextlib.suppress(*_UNUSABLE):
                    await self._conn.conn.rollback()
                raise StoreUnavailable(f"SQLite: {exc}") from exc

    async def close(self) -> None:
        await self._conn.conn.close()


def _join_worker(conn: aiosqlite.Connection) -> None:
    """Wait for the worker thread of a connection that failed to open.

    When connecting fails, aiosqlite (0.22) tells its thread to stop but does not wait: the
    thread then hands a last result to the event loop, and if a start-up that fails at once
    has closed the loop by then, the thread dies with "Event loop is closed" and a traceback
    after the bot's one-line error. All the thread has left is that hand-off, so the wait is
    short; it ends before the error goes on, while the loop is still open.
    """
    thread = getattr(conn, "_thread", conn)  # before aiosqlite 0.22 the connection is the thread
    if isinstance(thread, threading.Thread) and thread.is_alive():
        thread.join(timeout=5)


async def _use_wal(conn: aiosqlite.Connection) -> None:
    """Switch to WAL. Another process opening the same new file at the same moment can hold
    the lock this needs, and SQLite answers "locked" at once instead of waiting for it."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


async def _migrate(conn: aiosqlite.Connection) -> None:
    """Bring the schema up to date inside one write transaction: a second process starting
    at the same time waits for the lock, then finds nothing left to do."""
    await conn.execute("BEGIN IMMEDIATE")
    try:
        async with conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = row[0] if row else 0
        known = len(migrations.SQLITE)
        if version > known:
            raise RuntimeError(migrations.too_new(version, known))
        for number, script in enumerate(migrations.SQLITE[version:], start=version + 1):
            for statement in migrations.statements(script):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {number}")
    except BaseException:
        await conn.rollback()
        raise
    await conn.commit()
    log.info("%s", migrations.where_it_is(version, known))
