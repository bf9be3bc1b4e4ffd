from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from alerts.store import AlertStore
from bot import MiniMaxBot, make_client
from core.metrics import Metrics
from minimax_api import MiniMaxClient, RetryPolicy
from settings import load_settings
from state import Database, DatabaseTarget, PostgresTarget, SqliteTarget, open_database
from tests.support.checks import all_problems
from tests.support.discord_stub import DiscordStub, Injected
from tests.support.process import DISCORD_TOKEN, base_env
from tests.support.upstream import FakeUseapi

pytest_plugins = ["tests.support.postgres"]  # postgres_server, postgres_url

BACKENDS = ("sqlite", "postgresql")
SLASH_COMMANDS = {"alerts", "credits", "models", "usage"}  # what the bot registers


def database_target(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseTarget:
    """A new, empty database of `backend`: a file in tmp_path, or a fresh PostgreSQL database."""
    if backend == "sqlite":
        return SqliteTarget(tmp_path / "state.sqlite3")
    return PostgresTarget(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """Every test of the store runs against a real SQLite file and a real PostgreSQL."""
    db = await open_database(database_target(request.param, request, tmp_path))
    yield db
    await db.close()


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


BotFactory = Callable[..., Awaitable[MiniMaxBot]]


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
            bot = MiniMaxBot(settings, db=db, client=client, metrics=Metrics(), identity="test:1")
            await owned.enter_async_context(bot)
            await bot.login(DISCORD_TOKEN)
            return bot

        yield factory
    problems = all_problems(discord_stub.calls, [DISCORD_TOKEN, upstream.token])
    assert not problems, problems


async def run_command(
    bot: MiniMaxBot, stub: DiscordStub, name: str, focused: str | None = None, **options: Any
) -> Injected:
    """Dispatch an interaction through discord.py's own command tree and wait for it to end."""
    payload = stub.interaction_payload(name, options, focused=focused)
    item = stub.track(payload)
    interaction = discord.Interaction(data=payload, state=bot._connection)
    try:
        await bot.tree._call(interaction)
    except app_commands.AppCommandError as exc:
        await bot.tree._dispatch_error(interaction, exc)
    return item
