"""One aiosqlite connection for the bot's life, with versioned schema migrations."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

# Each entry upgrades the schema by one version (PRAGMA user_version). Append, never edit.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    """
    CREATE TABLE alert_keys (
        account    TEXT NOT NULL,
        kind       TEXT NOT NULL,
        ends_at    INTEGER NOT NULL,
        threshold  REAL NOT NULL,
        nonce      TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (account, kind, ends_at, threshold)
    );
    CREATE TABLE outbox (
        nonce      TEXT PRIMARY KEY,
        account    TEXT NOT NULL,
        kind       TEXT NOT NULL,
        payload    TEXT NOT NULL,
        created_at TEXT NOT NULL,
        sent_at    TEXT,
        message_id TEXT,
        attempts   INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    CREATE INDEX outbox_pending ON outbox(created_at) WHERE sent_at IS NULL;
    CREATE TABLE account_health (
        account       TEXT PRIMARY KEY,
        failures      INTEGER NOT NULL DEFAULT 0,
        failing_since TEXT,
        notified      INTEGER NOT NULL DEFAULT 0,
        last_success  TEXT,
        last_error    TEXT,
        last_error_at TEXT,
        soonest       TEXT
    );
    """,
    """
    ALTER TABLE outbox ADD COLUMN refusals INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN set_aside TEXT;
    ALTER TABLE outbox ADD COLUMN set_aside_at TEXT;
    """,
)


class Database:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self._write = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One atomic write: other coroutines' writes wait, so none lands half-done."""
        async with self._write:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            await self.conn.commit()

    @classmethod
    async def open(cls, path: Path) -> Database:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = aiosqlite.connect(path, isolation_level=None)
        try:
            await conn
        except BaseException:
            _join_worker(conn)
            raise
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA busy_timeout=5000")
            await conn.execute("PRAGMA foreign_keys=ON")
            await _migrate(conn)
        except BaseException:
            await conn.close()
            raise
        return cls(conn)

    async def close(self) -> None:
        await self.conn.close()

    async def get_meta(self, key: str) -> str | None:
        async with self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def meta_keys(self, prefix: str) -> list[str]:
        async with self.conn.execute(
            "SELECT key FROM meta WHERE substr(key, 1, ?) = ? ORDER BY key", (len(prefix), prefix)
        ) as cur:
            return [row[0] for row in await cur.fetchall()]

    async def delete_meta(self, key: str) -> None:
        async with self.transaction() as conn:
            await conn.execute("DELETE FROM meta WHERE key = ?", (key,))

    async def set_meta(self, key: str, value: str) -> None:
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


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


async def _migrate(conn: aiosqlite.Connection) -> None:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    version = row[0] if row else 0
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"the database schema is version {version}, newer than this bot knows "
            f"({len(MIGRATIONS)}): update the bot or point DATABASE_URL elsewhere"
        )
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        await conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        log.info("database schema upgraded to version %d", number)
