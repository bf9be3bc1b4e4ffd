"""Failures the operator must fix end the real bot process with one line and exit 2.

The line names the setting or the cause and the fix; there is no traceback after it, and
nothing else is written (LOG_LEVEL=WARNING: a clean run logs nothing at that level).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path

import pytest

from testbed.discord_payloads import GUILD_ID
from testbed.discord_stub import DiscordStub
from testbed.process import DISCORD_TOKEN, BotProcess, base_env
from testbed.upstream import FakeUseapi

# A piece of the one line each close code Discord documents as fatal must end with.
FATAL_CLOSES = {
    4004: "DISCORD_TOKEN was refused by Discord: copy a fresh token from the developer portal "
    "(Bot → Reset Token) into .env",
    4010: "4010 (invalid shard): it did not accept the shard this bot sent; update the bot",
    4011: "4011 (sharding required): the bot is in too many servers for one shard",
    4012: "4012 (invalid API version): this discord.py speaks a gateway version Discord no "
    "longer accepts; update discord.py",
    4013: "4013 (invalid intents): it did not accept the intents this bot sent; update the bot",
    4014: "4014 (disallowed intents): a privileged intent was requested that the application "
    "may not use; enable it in the developer portal",
}


async def exit_code(bot: BotProcess, within: float = 20.0) -> int:
    assert bot.proc is not None
    try:
        return await asyncio.wait_for(bot.proc.wait(), within)
    except TimeoutError:
        bot.proc.kill()
        await bot.proc.wait()
        raise AssertionError(f"the bot did not exit within {within}s:\n{bot.log()}") from None


def the_one_line(bot: BotProcess) -> str:
    """The whole output, which must be a single `error: ...` line and nothing else."""
    log = bot.log()
    assert "Traceback" not in log, log
    assert DISCORD_TOKEN not in log, "the token was written"
    lines = log.splitlines()
    assert len(lines) == 1, log
    assert lines[0].startswith("error: "), log
    return lines[0]


def quiet_bot(
    stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path, log: str = "bot.log", **env: str
) -> BotProcess:
    # A bot that knows its server: the public-bot warning would be a second line.
    full = {
        **base_env(upstream, tmp_path),
        "LOG_LEVEL": "WARNING",
        "ALLOWED_GUILD_IDS": str(GUILD_ID),
        **env,
    }
    return BotProcess(stub, full, tmp_path / log)


@pytest.mark.parametrize("code", sorted(FATAL_CLOSES))
async def test_a_fatal_gateway_close_while_running_ends_in_one_line(
    discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path, code: int
) -> None:
    bot = quiet_bot(discord_stub, upstream, tmp_path)
    await bot.start()
    await discord_stub.close_gateway(code)
    assert await exit_code(bot) == 2, bot.log()
    line = the_one_line(bot)
    assert FATAL_CLOSES[code] in line, line


@pytest.mark.parametrize("code", [4004, 4014])
async def test_a_fatal_close_at_identify_ends_in_one_line(
    discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path, code: int
) -> None:
    discord_stub.refuse_identify = code
    bot = quiet_bot(discord_stub, upstream, tmp_path)
    await bot.start(wait_ready=False)
    assert await exit_code(bot) == 2, bot.log()
    assert FATAL_CLOSES[code] in the_one_line(bot)
    assert not discord_stub.ready.is_set()


def pin_to_one_cpu(bot: BotProcess, run: int) -> None:
    """Keep the process on one CPU, shared with the other runs. aiosqlite's worker thread then
    often gets to run only after the event loop has closed: without the fix, about 6 runs in 7
    end with its traceback instead of 1 in 13 run alone."""
    if not hasattr(os, "sched_setaffinity"):
        return
    assert bot.proc is not None
    cpus = sorted(os.sched_getaffinity(0))
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.sched_setaffinity(bot.proc.pid, {cpus[run % len(cpus)]})


async def test_a_database_that_cannot_be_opened_ends_in_the_line_alone(
    discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("")
    # A folder, several times: each run shows a late worker-thread traceback in most cases.
    bad = [tmp_path] * 5 + [tmp_path / "a-file" / "bot.sqlite3"]  # and a path under a file
    if sys.platform == "linux":
        bad.append(Path("/proc/bot.sqlite3"))  # a place nobody can create a file in
    bots = [
        quiet_bot(
            discord_stub, upstream, tmp_path, f"bot-{run}.log", DATABASE_URL=f"sqlite:///{path}"
        )
        for run, path in enumerate(bad)
    ]
    for run, bot in enumerate(bots):
        await bot.start(wait_ready=False)
        pin_to_one_cpu(bot, run)
    codes = await asyncio.gather(*(exit_code(bot) for bot in bots))
    for bot, path, code in zip(bots, bad, codes, strict=True):
        assert code == 2, bot.log()
        line = the_one_line(bot)
        assert line.startswith(f"error: DATABASE_URL: cannot open {path} ("), line
        assert line.endswith("point DATABASE_URL at a writable file"), line
