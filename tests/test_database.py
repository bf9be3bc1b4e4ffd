from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from state import Database
from state.database import MIGRATIONS


async def test_open_creates_the_folder_and_migrates(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "bot.sqlite3"
    db = await Database.open(path)
    await db.set_meta("k", "v1")
    await db.set_meta("k", "v2")
    assert await db.get_meta("k") == "v2"
    assert await db.get_meta("missing") is None
    await db.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


async def test_reopening_keeps_state_and_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    await db.set_meta("k", "kept")
    await db.close()
    db = await Database.open(path)
    assert await db.get_meta("k") == "kept"
    await db.close()


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    with pytest.raises(RuntimeError, match="newer than this bot knows"):
        await Database.open(path)


@pytest.mark.parametrize("where", ["a folder", "under a file"])
async def test_a_failed_open_leaves_no_thread_behind(tmp_path: Path, where: str) -> None:
    """The error must be the last thing that happens: a worker thread still running would
    report to an event loop that may have closed by then, and print a traceback."""
    (tmp_path / "file").write_text("")
    path = tmp_path if where == "a folder" else tmp_path / "file" / "bot.sqlite3"
    before = set(threading.enumerate())
    with pytest.raises((OSError, sqlite3.Error)):
        await Database.open(path)
    assert [t.name for t in threading.enumerate() if t not in before] == []
