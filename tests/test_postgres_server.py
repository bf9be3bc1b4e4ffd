"""The throw-away PostgreSQL cluster of testbed/postgres.py does what tests rely on."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import asyncpg
import pytest

from testbed import postgres
from testbed.postgres import PostgresServer, PostgresUnavailable, find_bindir
from tests.support.databases import unavailable


async def test_url_is_realistic_and_database_works(postgres_url: str) -> None:
    parts = urlsplit(postgres_url)
    assert parts.scheme == "postgresql"
    assert parts.hostname == "127.0.0.1" and parts.port and parts.port != 5432
    assert parts.username and parts.password and parts.path.lstrip("/")

    conn = await asyncpg.connect(postgres_url)
    try:
        assert (
            await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0
        )
        await conn.execute("CREATE TABLE t (id int PRIMARY KEY, name text)")
        await conn.executemany("INSERT INTO t VALUES ($1, $2)", [(1, "ä"), (2, "b")])
        rows = await conn.fetch("SELECT id, name FROM t ORDER BY id")
        assert [tuple(r) for r in rows] == [(1, "ä"), (2, "b")]
    finally:
        await conn.close()


async def test_wrong_password_is_refused(postgres_url: str) -> None:
    parts = urlsplit(postgres_url)
    wrong = postgres_url.replace(f":{parts.password}@", ":not-the-password@")
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(wrong)


async def test_stop_and_start_keep_the_data(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    conn = await asyncpg.connect(postgres_url)
    await conn.execute("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")
    port = postgres_server.port

    # In a thread, so that this loop (and a bot on it) keeps running while the server stops.
    await asyncio.to_thread(postgres_server.stop_server)
    assert not postgres_server.running
    with pytest.raises((OSError, asyncpg.InterfaceError, asyncpg.PostgresError)):
        await conn.fetchval("SELECT 1")
    with pytest.raises(OSError):  # connection refused
        await asyncpg.connect(postgres_url, timeout=5)

    postgres_server.start_server()
    assert postgres_server.running and postgres_server.port == port
    conn = await asyncpg.connect(postgres_url)
    try:
        assert await conn.fetchval("SELECT v FROM kept") == "still here"
    finally:
        await conn.close()


async def test_fresh_databases_are_independent(postgres_server: PostgresServer) -> None:
    first, second = postgres_server.fresh_database(), postgres_server.fresh_database()
    assert first != second
    one = await asyncpg.connect(first)
    two = await asyncpg.connect(second)
    try:
        await one.execute("CREATE TABLE only_here (x int)")
        assert await one.fetchval("SELECT to_regclass('only_here') IS NOT NULL")
        assert await two.fetchval("SELECT to_regclass('only_here') IS NULL")
    finally:
        await one.close()
        await two.close()
    postgres_server.drop_database(first)
    postgres_server.drop_database(second)
    with pytest.raises(asyncpg.InvalidCatalogNameError):
        await asyncpg.connect(first)


async def test_terminate_connections_breaks_open_connections(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    conn = await asyncpg.connect(postgres_url)
    assert postgres_server.terminate_connections(postgres_url) == 1
    with pytest.raises((asyncpg.InterfaceError, asyncpg.PostgresError, OSError)):
        await conn.fetchval("SELECT 1")
    assert conn.is_closed()
    conn = await asyncpg.connect(postgres_url)  # the server itself is fine
    try:
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()


def test_postgres_bin_override_must_hold_the_binaries(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("POSTGRES_BIN", str(tmp_path))
    with pytest.raises(PostgresUnavailable, match="POSTGRES_BIN"):
        find_bindir()


def test_no_binaries_anywhere_is_unavailable(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("POSTGRES_BIN", raising=False)
    monkeypatch.setattr(postgres, "SEARCH_GLOBS", (str(tmp_path / "*" / "bin"),))
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_config, no initdb
    with pytest.raises(PostgresUnavailable, match="no PostgreSQL server binaries"):
        find_bindir()


def test_unavailable_skips_unless_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUIRE_POSTGRES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y postgresql"):
        unavailable("no binaries")
    monkeypatch.setenv("REQUIRE_POSTGRES", "1")
    with pytest.raises(pytest.fail.Exception, match="no binaries"):
        unavailable("no binaries")
