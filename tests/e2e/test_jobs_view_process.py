"""`/usage view:jobs` from the real bot process: the statistics it read from the loopback
useapi.net, shown per model (with the credits they cost), per account and by failure cause,
with the jobs-per-day picture."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from testbed.discord_stub import DiscordStub
from testbed.upstream import FakeUseapi, sample_features
from tests.support.bots import StartBot, command, embeds_of
from tests.support.watching import FAST

STATS_FAST = {**FAST, "STATS_INTERVAL_MINUTES": "0.02", "USAGE_WINDOW_DAYS": "3"}


def jobs_kept(folder: Path) -> int:
    with sqlite3.connect(folder / "bot.sqlite3") as db:
        return int(db.execute("SELECT COALESCE(SUM(jobs), 0) FROM job_outcomes").fetchone()[0])


async def test_usage_jobs_shows_where_the_credits_went(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path
) -> None:
    """a: 8 jobs of T2V-01 (30 credits each) succeed, 2 fail out of credits; b: 5 of
    S2V-01 (45 each) succeed, 1 fails with its session rejected. 16 jobs, 13 succeeded
    (81 %); 10 x 30 = 300 and 6 x 45 = 270 credits at the models' prices."""
    for account in ("a", "b"):
        upstream.add_account(account, sample_features(batches_in_hours=[500]))
    upstream.add_job("a", model="23000", code=200, count=8)
    upstream.add_job("a", model="23000", code=412, count=2)
    upstream.add_job("b", model="23021", code=200, count=5)
    upstream.add_job("b", model="23021", code=596, count=1)
    await start_bot(USEAPI_ACCOUNTS="a,b", **STATS_FAST)
    await upstream.wait_for(lambda: jobs_kept(tmp_path) == 16)
    item = await command(discord_stub, "usage", view="jobs")
    [embed] = embeds_of(item)
    assert embed["title"] == "Jobs · 2 accounts"
    assert embed["description"] == (
        "**16** jobs in the last 7 days, 81% succeeded (13). Estimated cost: ≈ **570** credits."
    )
    fields = {f["name"]: f["value"].splitlines() for f in embed["fields"]}
    assert fields["By model"] == [
        "T2V-01 (Hailuo 1.0 text to video): 10 jobs · ≈ 300 credits",
        "S2V-01 (subject reference): 6 jobs · ≈ 270 credits",
    ]
    assert fields["By account"] == ["a: 10 jobs · 80% succeeded", "b: 6 jobs · 83% succeeded"]
    assert fields["Failed jobs by cause"][0].startswith("out of credits (412): 2 jobs: top up")
    assert fields["Failed jobs by cause"][1].startswith(
        "session rejected or account on hold (596): 1 job: re-add the account"
    )
    assert embed["image"]["url"] == "attachment://jobs.png"
    assert "jobs.png" in item.files()
    one = embeds_of(await command(discord_stub, "usage", view="jobs", account="b"))[0]
    assert one["title"] == "Jobs · b" and one["description"].startswith("**6** jobs")


async def test_the_digest_has_one_line_of_the_jobs(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[500]))
    upstream.add_job("a", model="23000", code=200, count=3)
    upstream.add_job("a", model="23000", code=412, count=1)
    bot = await start_bot(USEAPI_ACCOUNTS="a", **STATS_FAST)
    await upstream.wait_for(lambda: jobs_kept(tmp_path) == 4)
    assert await bot.stop() == 0
    due = datetime.now(UTC) - timedelta(minutes=1)
    bot.env["DIGEST_SCHEDULE"] = f"daily@{due:%H:%M}"
    await bot.start()
    [digest] = await discord_stub.wait_for(
        lambda: [m for m in discord_stub.posted if "digest" in m["embeds"][0]["title"]]
    )
    assert (
        "🎬 Jobs: **4**, 75% succeeded; failed: out of credits 1."
        in (digest["embeds"][0]["description"])
    )
