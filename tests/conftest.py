from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from bot import MiniMaxBot, make_client
from core.metrics import Metrics
from minimax_api import RetryPolicy
from settings import load_settings
from state import Database, DatabaseTarget, PostgresTarget, SqliteTarget, open_database
from tests.support.checks import all_problems
from tests.support.discord_stub import DiscordStub, Injected
from tests.support.upstream import FakeUseapi

pytest_plugins = ["tests.support.postgres"]  # postgres_server, postgres_url

DISCORD_TOKEN = "discord-test-token-abcdefghijklmnop"
BACKENDS = ("sqlite", "postgresql")


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


def base_env(upstream: FakeUseapi, tmp_path: Path) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": DISCORD_TOKEN,
        "USEAPI_TOKEN": upstream.token,
        "USEAPI_BASE_URL": upstream.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        "USEAPI_MAX_RPS": "1000",  # the rate limiter has tests of its own
    }


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
