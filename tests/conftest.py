from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import discord.http
import pytest

from alerts.domain.store import AlertStore
from app.client import MiniMaxBot
from app.metrics import Metrics
from minimax_api import MiniMaxClient, RetryPolicy
from settings import load_settings
from startup.compose import compose, make_client
from state import Database, open_database
from testbed.databases import BACKENDS
from testbed.discord_stub import DiscordStub
from testbed.postgres import PostgresServer, PostgresUnavailable
from testbed.process import DISCORD_TOKEN, base_env
from testbed.upstream import FakeUseapi
from tests.support.bots import BotFactory
from tests.support.checks import all_problems
from tests.support.databases import database_target, unavailable


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throw-away cluster for the whole session (skipped, or failed under REQUIRE_POSTGRES=1,
    when there is none)."""
    server = PostgresServer()
    reason = None
    try:
        server.start()
    except PostgresUnavailable as exc:
        reason = str(exc)  # reported outside the except block: no chained traceback
    if reason is not None:
        unavailable(reason)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The DSN of a new, empty database on the session's cluster; dropped afterwards. The
    cluster is (re)started around the test, so one test leaving it stopped spoils no other."""
    postgres_server.start_server()
    url = postgres_server.fresh_database()
    yield url
    postgres_server.start_server()
    postgres_server.drop_database(url)


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """Every test of the store runs against a real SQLite file and a real PostgreSQL."""
    db = await open_database(database_target(request.param, request, tmp_path))
    yield db
    await db.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUseapi]:
    server = FakeUseapi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def discord_stub(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordStub]:
    stub = DiscordStub(DISCORD_TOKEN)
    await stub.start()
    monkeypatch.setattr(discord.http.Route, "BASE", stub.api_base)
    yield stub
    await stub.stop()


@pytest.fixture
def store(database: Database) -> AlertStore:
    """The alert store over `database`: SQLite and PostgreSQL."""
    return AlertStore(database)


@pytest.fixture
async def client(upstream: FakeUseapi) -> AsyncIterator[MiniMaxClient]:
    """The useapi.net client against the loopback server, without retries."""
    async with aiohttp.ClientSession() as session:
        yield MiniMaxClient(
            session, token=upstream.token, base_url=upstream.base_url, retry=RetryPolicy(attempts=1)
        )


@pytest.fixture
async def make_bot(
    upstream: FakeUseapi, discord_stub: DiscordStub, tmp_path: Path
) -> AsyncIterator[BotFactory]:
    """Start the real bot in-process: log-in, setup_hook and command sync against the stub,
    with the resources run_bot would give it (a retry policy of the test's, if it asks)."""
    async with contextlib.AsyncExitStack() as owned:

        async def factory(retry: RetryPolicy | None = None, **env: str) -> MiniMaxBot:
            settings = load_settings({**base_env(upstream, tmp_path), **env})
            db = await open_database(settings.database)
            owned.push_async_callback(db.close)
            session = await owned.enter_async_context(aiohttp.ClientSession())
            client = make_client(session, settings, retry=retry)
            bot = compose(settings, db=db, minimax=client, metrics=Metrics(), identity="test:1")
            await owned.enter_async_context(bot)
            await bot.login(DISCORD_TOKEN)
            return bot

        yield factory
    problems = all_problems(discord_stub.calls, [DISCORD_TOKEN, upstream.token])
    assert not problems, problems
