from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from bot import MiniMaxBot
from settings import load_settings
from tests.support.checks import all_problems
from tests.support.discord_stub import DiscordStub, Injected
from tests.support.upstream import FakeUseapi

pytest_plugins = ["tests.support.postgres"]  # postgres_server, postgres_url

DISCORD_TOKEN = "discord-test-token-abcdefghijklmnop"


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
    """Start the real bot in-process: log-in, setup_hook and command sync against the stub."""
    bots: list[MiniMaxBot] = []

    async def factory(**env: str) -> MiniMaxBot:
        bot = MiniMaxBot(load_settings({**base_env(upstream, tmp_path), **env}))
        bots.append(bot)
        await bot.login(DISCORD_TOKEN)
        return bot

    yield factory
    for bot in bots:
        await bot.close()
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
