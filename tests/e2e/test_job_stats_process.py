"""Job statistics from the real bot process: read every STATS_INTERVAL_MINUTES beside the
expiry checks, "can't read" said once after three failed runs and "readable again" once, and
the expiry alerts unaffected throughout."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from testbed.discord_stub import DiscordStub
from testbed.upstream import FakeUseapi, Fault, sample_features
from tests.support.bots import StartBot
from tests.support.watching import FAST, ticks, titles

STATS_FAST = {**FAST, "STATS_INTERVAL_MINUTES": "0.02", "USAGE_WINDOW_DAYS": "3"}


def days_read(folder: Path) -> int:
    with sqlite3.connect(folder / "bot.sqlite3") as db:
        return int(db.execute("SELECT COUNT(*) FROM job_days").fetchone()[0])


def jobs_kept(folder: Path) -> int:
    with sqlite3.connect(folder / "bot.sqlite3") as db:
        return int(db.execute("SELECT COALESCE(SUM(jobs), 0) FROM job_outcomes").fetchone()[0])


async def test_failed_statistics_are_said_once_recovered_once_and_never_stop_alerts(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[2], audio_in_hours=None))
    upstream.add_job("a", code=200, count=3)
    upstream.fail_stats(Fault("html", status=502))
    await start_bot(USEAPI_ACCOUNTS="a", **STATS_FAST)
    await discord_stub.wait_for(lambda: "Can't read job statistics" in titles(discord_stub))
    assert "Expiring soon on account a" in titles(discord_stub), "the expiry alert went out"
    calls = len(upstream.stats_calls())
    await upstream.wait_for(lambda: len(upstream.stats_calls()) >= calls + 6)
    await ticks(upstream, "a", 2)
    assert titles(discord_stub).count("Can't read job statistics") == 1, "said once"
    assert jobs_kept(tmp_path) == 0

    upstream.clear()
    await discord_stub.wait_for(lambda: "Job statistics readable again" in titles(discord_stub))
    await upstream.wait_for(lambda: jobs_kept(tmp_path) == 3)
    calls = len(upstream.stats_calls())
    await upstream.wait_for(lambda: len(upstream.stats_calls()) >= calls + 3)
    assert titles(discord_stub).count("Job statistics readable again") == 1
    assert titles(discord_stub).count("Can't read job statistics") == 1
    assert jobs_kept(tmp_path) == 3, "read again and again, counted once"
    assert titles(discord_stub).count("Expiring soon on account a") == 1


async def test_a_restart_does_not_backfill_again(
    start_bot: StartBot, upstream: FakeUseapi, discord_stub: DiscordStub, tmp_path: Path
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[500], audio_in_hours=None))
    upstream.add_job("a", count=2)
    env = {**STATS_FAST, "STATS_INTERVAL_MINUTES": "600"}
    bot = await start_bot(USEAPI_ACCOUNTS="a", **env)
    await upstream.wait_for(lambda: days_read(tmp_path) == 3)  # the checks go on meanwhile
    assert await bot.stop() == 0
    assert len(upstream.stats_calls("a")) == 3, "the window of three days, once"
    await bot.start()
    await ticks(upstream, "a", 3)
    assert len(upstream.stats_calls("a")) == 3, "nothing was due after the restart"
