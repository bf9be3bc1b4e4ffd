"""What `bot.py --check` asks of the database: can it be opened, and at which schema
version, without changing anything (no file created, no migration run)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

from . import migrations
from .url import DatabaseTarget, SqliteTarget


class Unopenable(Exception):
    """The database cannot be opened; the message says why (no password in it)."""


async def schema_version(target: DatabaseTarget) -> tuple[int, int]:
    """(the version the database is at, 0 for none yet; the version this bot brings it to)."""
    if isinstance(target, SqliteTarget):
        return await asyncio.to_thread(_sqlite_version, target.path), len(migrations.SQLITE)
    return await _postgres_version(target.dsn), len(migrations.POSTGRES)


def _sqlite_version(path: Path) -> int:
    if not path.exists():
        folder = next(p for p in path.absolute().parents if p.exists())
        if not folder.is_dir():
            raise Unopenable(f"{path} cannot be created: {folder} is a file, not a folder")
        if not os.access(folder, os.W_OK):
            raise Unopenable(f"{path} does not exist and {folder} is not writable")
        return 0
    try:
        with sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True) as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as exc:
        raise Unopenable(f"{path}: {exc}") from exc


async def _postgres_version(dsn: str) -> int:
    import asyncpg

    from .postgres import CONNECT_TIMEOUT

    try:
        conn = await asyncpg.connect(dsn, timeout=int(CONNECT_TIMEOUT))
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        said = " ".join(str(exc).split())[:200]
        raise Unopenable(f"cannot connect ({exc.__class__.__name__}: {said})") from exc
    try:
        if await conn.fetchval("SELECT to_regclass('schema_version')") is None:
            return 0
        return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version"))
    finally:
        await conn.close()
