from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.checks import all_problems
from tests.support.discord_stub import GUILD_ID, DiscordStub, Injected
from tests.support.process import DISCORD_TOKEN, BotProcess, base_env
from tests.support.process import free_port as free_port  # for the tests that import it here
from tests.support.upstream import FakeUseapi

DEADLINE = 3.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


StartBot = Callable[..., Awaitable[BotProcess]]


@pytest.fixture
async def start_bot(
    upstream: FakeUseapi, discord_stub: DiscordStub, tmp_path: Path
) -> AsyncIterator[StartBot]:
    """Start bot processes; afterwards check every request they made and everything they logged."""
    bots: list[BotProcess] = []
    extra_roles: list[int] = []
    secrets: list[str] = []

    async def factory(**env: str) -> BotProcess:
        full = {**base_env(upstream, tmp_path), "LOG_LEVEL": "DEBUG", **env}
        if password := urlsplit(full["DATABASE_URL"]).password:
            secrets.append(password)
        if env.get("ALERT_MENTION_ROLE_ID"):
            extra_roles.append(int(env["ALERT_MENTION_ROLE_ID"]))
        name = "bot.log" if not bots else f"bot-{len(bots) + 1}.log"
        bot = BotProcess(discord_stub, full, tmp_path / name)
        bots.append(bot)
        await bot.start()
        return bot

    yield factory
    codes = [await bot.stop() for bot in bots if not bot.killed]
    logs = "\n".join(bot.log() for bot in bots)
    assert codes == [0] * len(codes), f"exit codes {codes}\n{logs}"
    for secret in (DISCORD_TOKEN, upstream.token, *secrets):
        assert secret not in logs, "a secret was logged"
    assert "Traceback" not in logs, logs
    problems = all_problems(discord_stub.calls, [DISCORD_TOKEN, upstream.token], extra_roles)
    late = [
        f"interaction {i.id} first answered after {i.calls[0].at - i.at:.2f}s"
        for i in discord_stub.injected.values()
        if i.calls and i.calls[0].at - i.at > DEADLINE
    ]
    assert not problems + late, problems + late


def final_messages(item: Injected) -> list[dict[str, Any]]:
    return item.final_messages()


def embeds_of(item: Injected) -> list[dict[str, Any]]:
    return item.embeds()


async def command(
    stub: DiscordStub,
    name: str,
    *,
    within: float = 20.0,
    subcommand: str | None = None,
    guild_id: int = GUILD_ID,
    **options: Any,
) -> Injected:
    """Inject a slash command in a server and wait for its final answer."""
    item = await stub.inject(name, options, subcommand=subcommand, guild_id=guild_id)
    await stub.wait_for(lambda: final_messages(item), within=within)
    return item


async def autocomplete(stub: DiscordStub, name: str, focused: str, **options: Any) -> list[str]:
    item = await stub.inject(name, options, focused=focused)
    call = await stub.wait_for(
        lambda: next((c for c in item.calls if c.path.endswith("/callback")), None)
    )
    return [c["value"] for c in call.body["data"]["choices"]]
