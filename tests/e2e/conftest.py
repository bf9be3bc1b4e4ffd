from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from testbed.discord_stub import DiscordStub
from testbed.process import DISCORD_TOKEN, BotProcess, base_env
from testbed.upstream import FakeUseapi
from tests.support.bots import StartBot
from tests.support.checks import all_problems

DEADLINE = 3.0


PINGING = ("mention", "escalate_to")
"""The rule fields whose role the bot pings (the operator configured them)."""


def _roles(rows: list[tuple[str]]) -> list[int]:
    changes = [c for (text,) in rows for c in json.loads(text)]
    return [int(new) for field, _, new in changes if field in PINGING and new]


def roles_of_rules(path: Path) -> list[int]:
    """Every role a `/alerts rules` change ever set (as its change log says): the operator
    configured these pings."""
    if not path.exists():
        return []
    try:
        with sqlite3.connect(path) as db:
            rows = db.execute("SELECT change FROM alert_rule_changes").fetchall()
    except sqlite3.OperationalError:  # a database the bot never set up
        return []
    return _roles(rows)


async def roles_of_postgres_rules(url: str) -> list[int]:
    """As `roles_of_rules`, for the bots' PostgreSQL database."""
    try:
        conn = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError):  # a test stopped the server: no rules to read
        return []
    try:
        rows = await conn.fetch("SELECT change FROM alert_rule_changes")
    except asyncpg.UndefinedTableError:
        return []
    finally:
        await conn.close()
    return _roles([(r[0],) for r in rows])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
async def start_bot(
    upstream: FakeUseapi, discord_stub: DiscordStub, tmp_path: Path
) -> AsyncIterator[StartBot]:
    """Start bot processes; afterwards check every request they made and everything they logged."""
    bots: list[BotProcess] = []
    extra_roles: list[int] = []
    secrets: list[str] = []
    databases: set[str] = set()

    async def factory(**env: str) -> BotProcess:
        full = {**base_env(upstream, tmp_path), "LOG_LEVEL": "DEBUG", **env}
        if password := urlsplit(full["DATABASE_URL"]).password:
            secrets.append(password)
        if full["DATABASE_URL"].startswith("postgres"):
            databases.add(full["DATABASE_URL"])
        if env.get("ALERT_MENTION_ROLE_ID"):
            extra_roles.append(int(env["ALERT_MENTION_ROLE_ID"]))
        name = "bot.log" if not bots else f"bot-{len(bots) + 1}.log"
        bot = BotProcess(discord_stub, full, tmp_path / name)
        first = not bots
        bots.append(bot)
        await bot.start()
        if first and not full.get("ALERT_CHANNEL_ID"):
            # Without alerts a bot still reads every account once at start (for the usage
            # history): let that finish, so it never mixes with what the test asks for. With
            # replicas started together, whichever leads does it.
            async with asyncio.timeout(20):
                while not any("expiry check: " in b.log() for b in bots):  # noqa: ASYNC110
                    await asyncio.sleep(0.02)  # a log file sets no event
        return bot

    yield factory
    codes = [await bot.stop() for bot in bots if not bot.killed]
    logs = "\n".join(bot.log() for bot in bots)
    assert codes == [0] * len(codes), f"exit codes {codes}\n{logs}"
    for secret in (DISCORD_TOKEN, upstream.token, *secrets):
        assert secret not in logs, "a secret was logged"
    expected = sum(bot.tracebacks_expected for bot in bots)
    assert logs.count("Traceback") == expected, logs
    extra_roles += roles_of_rules(tmp_path / "bot.sqlite3")
    for url in databases:
        extra_roles += await roles_of_postgres_rules(url)
    problems = all_problems(discord_stub.calls, [DISCORD_TOKEN, upstream.token], extra_roles)
    late = [
        f"interaction {i.id} first answered after {i.calls[0].at - i.at:.2f}s"
        for i in discord_stub.injected.values()
        if i.calls and i.calls[0].at - i.at > DEADLINE
    ]
    assert not problems + late, problems + late
