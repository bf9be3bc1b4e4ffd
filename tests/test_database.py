"""The state layer against both backends: migrations, meta values, claims and leases."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from pathlib import Path

import pytest

from state import (
    Claims,
    Database,
    Lease,
    Meta,
    PostgresTarget,
    SqliteTarget,
    StoreUnavailable,
    mask,
    open_database,
    parse_database_url,
    this_process,
)
from state.migrations import POSTGRES, SQLITE
from testbed.databases import BACKENDS
from testbed.postgres import PostgresServer
from tests.support.databases import database_target


async def test_meta_values(database: Database) -> None:
    meta = Meta(database)
    await meta.set("command_sync:global", "v1")
    await meta.set("command_sync:global", "v2")
    await meta.set("command_sync:123", "x")
    await meta.set("other", "y")
    assert await meta.get("command_sync:global") == "v2"
    assert await meta.get("missing") is None
    assert await meta.keys("command_sync:") == ["command_sync:123", "command_sync:global"]
    await meta.delete("command_sync:123")
    assert await meta.keys("command_sync:") == ["command_sync:global"]


async def test_a_transaction_lands_whole_or_not_at_all(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.transaction() as tx:
            await tx.execute("INSERT INTO meta(key, value) VALUES ($1, $2)", "a", "1")
            raise RuntimeError("half-way")
    assert await Meta(database).get("a") is None
    async with database.transaction() as tx:
        await tx.execute("INSERT INTO meta(key, value) VALUES ($1, $2)", "a", "1")
        await tx.execute("INSERT INTO meta(key, value) VALUES ($1, $2)", "b", "2")
    assert await Meta(database).keys("") == ["a", "b"]


async def test_only_the_first_claim_wins(database: Database) -> None:
    one, two = Claims(database, "host-a:1"), Claims(database, "host-b:2")
    results = await asyncio.gather(*(c.claim("interaction:42") for c in (one, two) * 3))
    assert results.count(True) == 1
    assert await two.claim("interaction:43") is True
    assert await one.prune(before=float("inf")) == 2
    assert await one.claim("interaction:42") is True, "a pruned claim can be claimed again"


async def test_a_lease_has_one_holder_until_it_expires(database: Database) -> None:
    now = [1000.0]
    a = Lease(database, "alerts", "host-a:1", ttl=20, clock=lambda: now[0])
    b = Lease(database, "alerts", "host-b:2", ttl=20, clock=lambda: now[0])
    assert await a.acquire() is True
    assert await b.acquire() is False
    now[0] += 15
    assert await a.acquire() is True, "renewed"
    now[0] += 15
    assert await b.acquire() is False, "renewed 15 s ago: still a's"
    now[0] += 21
    assert await b.acquire() is True, "a stopped renewing: b takes over"
    assert await a.acquire() is False
    holder = await a.holder()
    assert holder is not None and holder.name == "host-b:2"
    await b.release()
    assert await a.holder() is None
    assert await a.acquire() is True


@pytest.mark.parametrize("backend", BACKENDS)
async def test_reopening_keeps_state_and_does_not_migrate_again(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    target = database_target(backend, request, tmp_path)
    db = await open_database(target)
    await Meta(db).set("k", "kept")
    await db.close()
    db = await open_database(target)
    assert await Meta(db).get("k") == "kept"
    await db.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_two_processes_starting_at_once_on_an_empty_database_both_come_up(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    target = database_target(backend, request, tmp_path)
    opened = await asyncio.gather(*(open_database(target) for _ in range(4)))
    for db in opened:
        assert await Meta(db).get("missing") is None
    await asyncio.gather(*(db.close() for db in opened))


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_start_says_once_which_schema_version_the_database_is_at(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = database_target(backend, request, tmp_path)
    known = len(SQLITE if backend == "sqlite" else POSTGRES)
    said = []
    for _ in range(2):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="state"):
            await (await open_database(target)).close()
        said.append([r.getMessage() for r in caplog.records if "schema" in r.getMessage()])
    assert said == [
        [f"database schema created at version {known}"],
        [f"database schema at version {known}"],
    ]


async def test_an_existing_sqlite_file_of_the_previous_version_is_upgraded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as conn:
        for number, script in enumerate(SQLITE[:3], start=1):
            conn.executescript(script)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("INSERT INTO meta(key, value) VALUES ('command_sync:global', 'old')")
    with caplog.at_level(logging.INFO, logger="state"):
        db = await open_database(SqliteTarget(path))
    assert f"database schema upgraded from version 3 to {len(SQLITE)}" in caplog.messages
    assert await Meta(db).get("command_sync:global") == "old"
    assert await Claims(db, "me").claim("x") is True
    await db.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(SQLITE)


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(SQLITE) + 5}")
    with pytest.raises(RuntimeError, match="newer than this bot knows"):
        await open_database(SqliteTarget(path))


@pytest.mark.parametrize("where", ["a folder", "under a file"])
async def test_a_failed_open_leaves_no_thread_behind(tmp_path: Path, where: str) -> None:
    """The error must be the last thing that happens: a worker thread still running would
    report to an event loop that may have closed by then, and print a traceback."""
    (tmp_path / "file").write_text("")
    path = tmp_path if where == "a folder" else tmp_path / "file" / "bot.sqlite3"
    before = set(threading.enumerate())
    with pytest.raises((OSError, sqlite3.Error)):
        await open_database(SqliteTarget(path))
    assert [t.name for t in threading.enumerate() if t not in before] == []


async def test_an_unreachable_postgresql_is_retried_then_reported_without_its_password() -> None:
    retries: list[float] = []
    target = PostgresTarget("postgresql://bot:s3cret-pw@127.0.0.1:1/db")
    from state.postgres import PostgresDatabase

    with pytest.raises(StoreUnavailable) as caught:
        await PostgresDatabase.open(
            target.dsn, give_up_after=1.0, on_retry=lambda reason, delay: retries.append(delay)
        )
    assert retries, "it tried again before giving up"
    assert "s3cret-pw" not in str(caught.value) and "***" in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sqlite:///data/bot.sqlite3", SqliteTarget(Path("data/bot.sqlite3"))),
        ("sqlite:////var/lib/bot.sqlite3", SqliteTarget(Path("/var/lib/bot.sqlite3"))),
        ("postgres://u:p@db.example:5432/d", PostgresTarget("postgres://u:p@db.example:5432/d")),
        (
            "postgresql://u:p@h/d?sslmode=require",
            PostgresTarget("postgresql://u:p@h/d?sslmode=require"),
        ),
    ],
)
def test_database_urls(raw: str, expected: object) -> None:
    assert parse_database_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "mysql://u:topsecret@h/d",
        "sqlite:///",
        "sqlite://relative.db",
        "topsecret",
        "redis://:topsecret@h",
    ],
)
def test_other_database_urls_are_refused_without_showing_a_password(raw: str) -> None:
    with pytest.raises(ValueError, match="DATABASE_URL") as caught:
        parse_database_url(raw)
    assert "postgresql://" in str(caught.value) and "sqlite:///" in str(caught.value)
    assert "topsecret" not in str(caught.value)


def test_mask_hides_the_password_only() -> None:
    assert mask("postgres://user:pw@host:5432/db?sslmode=require") == (
        "postgres://user:***@host:5432/db?sslmode=require"
    )
    assert mask("postgresql://host/db") == "postgresql://host/db"
    assert str(PostgresTarget("postgresql://u:pw@h/d")) == "postgresql://u:***@h/d"


async def test_a_lease_of_a_dead_process_of_this_host_is_taken_at_once(
    database: Database,
) -> None:
    dead = await asyncio.create_subprocess_exec("true")
    await dead.wait()
    host = this_process().rpartition(":")[0]
    me = Lease(database, "alerts", this_process(), ttl=600)
    elsewhere = Lease(database, "alerts", f"elsewhere:{dead.pid}", ttl=600)
    assert await elsewhere.acquire() is True
    assert await me.acquire() is False, "another host's process may well be alive"
    await elsewhere.release()
    crashed = Lease(database, "alerts", f"{host}:{dead.pid}", ttl=600)
    assert await crashed.acquire() is True
    assert await me.acquire() is True, "the holder has died: no need to wait 10 minutes"


async def test_a_postgresql_shut_down_under_the_pool_is_unavailable_not_a_crash(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    """The server's "terminating connection due to administrator command" (AdminShutdown)
    arrives on the pool's idle connections: StoreUnavailable, as any lost database."""
    db = await open_database(PostgresTarget(postgres_url))
    try:
        await asyncio.gather(*(Meta(db).get(f"k{i}") for i in range(4)))  # idle connections
        await asyncio.to_thread(postgres_server.stop_server)
        for _ in range(4):
            with pytest.raises(StoreUnavailable):
                async with db.transaction() as tx:
                    await tx.execute("SELECT 1")
    finally:
        await asyncio.to_thread(postgres_server.start_server)
        await db.close()
