"""Usage history, /usage with its chart, the pace line and the digest, from the real bot
process against the loopback Discord and useapi.net."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from state import SqliteTarget, open_database
from testbed.discord_stub import DiscordStub, Injected
from testbed.upstream import FakeUseapi, sample_features
from tests.support.bots import StartBot, embeds_of, final_messages
from tests.support.watching import FAST, ticks
from usage.domain.history import History
from usage.domain.snapshot import Batch, Pool, Snapshot

MAX_FILE = 10 * 1024 * 1024  # Discord's attachment limit for a bot without boosts


def month_of_spending(now: datetime, per_day: float = 12, start: float = 400) -> list[Snapshot]:
    """30 days of a balance spent at `per_day`, a top-up on day 10, a batch in 3 days."""
    points, balance = [], start
    for hour in range(30 * 24, 0, -1):
        at = now - timedelta(hours=hour)
        balance -= per_day / 24
        if hour == 20 * 24:
            balance += 250
        batches = (Batch(Pool.VIDEO, balance, now + timedelta(days=3)),)
        points.append(Snapshot(at, round(balance, 2), 5, batches))
    return points


async def seed(path: Path, accounts: dict[str, list[Snapshot]]) -> None:
    db = await open_database(SqliteTarget(path))
    try:
        await History(db).record([(a, s) for a, h in accounts.items() for s in h])
    finally:
        await db.close()


def attachments_of(item: Injected) -> list[dict[str, Any]]:
    return [a for m in final_messages(item) for a in m.get("attachments", [])]


@pytest.fixture
async def seeded(tmp_path: Path, upstream: FakeUseapi) -> AsyncIterator[int]:
    """A month of history for accounts a (12 a day) and b (3 a day); useapi.net answers
    with the balance where the history left off. Yields a's balance."""
    now = datetime.now(UTC)
    history = {"a": month_of_spending(now), "b": month_of_spending(now, 3)}
    await seed(tmp_path / "bot.sqlite3", history)
    for account, points in history.items():
        balance = int(points[-1].video)
        features = sample_features(batches_in_hours=[72], audio_in_hours=None, total=balance)
        features["creditExpireText"][0]["credit"] = balance  # the batch the history holds
        upstream.add_account(account, features)
    yield int(history["a"][-1].video)


async def test_usage_answers_with_the_forecast_and_a_chart_within_discords_limits(
    seeded: int, start_bot: StartBot, discord_stub: DiscordStub
) -> None:
    await start_bot(USEAPI_ACCOUNTS="a")
    item = await discord_stub.inject("usage", {"days": 30})
    await discord_stub.wait_for(lambda: embeds_of(item))
    [embed] = embeds_of(item)
    assert embed["title"] == "Usage · a"
    assert "Spent in the last 30 days" in embed["description"]
    assert "At your pace (≈ 12 video/image credits/day over 7 days)" in embed["description"]
    assert "will expire unused" in embed["description"]
    assert embed["image"]["url"] == "attachment://usage.png"
    [chart] = attachments_of(item)
    assert chart["filename"] == "usage.png" and chart["content_type"] == "image/png"
    assert 1000 < chart["size"] < MAX_FILE
    assert "video/image credits" in chart["description"] and len(chart["description"]) <= 1024


async def test_usage_of_several_accounts_charts_the_total_with_a_line_each(
    seeded: int, start_bot: StartBot, discord_stub: DiscordStub
) -> None:
    await start_bot(USEAPI_ACCOUNTS="a,b")
    item = await discord_stub.inject("usage")
    await discord_stub.wait_for(lambda: embeds_of(item))
    [embed] = embeds_of(item)
    assert embed["title"] == "Usage · 2 accounts"
    assert "≈ 15 video/image credits/day" in embed["description"], "12 + 3 a day"
    assert [f["name"] for f in embed["fields"]] == ["a", "b"]
    assert "≈ 3 video/image credits/day" in embed["fields"][1]["value"]
    assert attachments_of(item)


async def test_credits_says_what_will_expire_unused_and_becomes_history(
    seeded: int, start_bot: StartBot, discord_stub: DiscordStub, tmp_path: Path
) -> None:
    bot = await start_bot(USEAPI_ACCOUNTS="a")
    item = await discord_stub.inject("credits")
    await discord_stub.wait_for(lambda: embeds_of(item))
    assert "At your pace (≈ 12 video/image credits/day" in embeds_of(item)[0]["description"]
    assert await bot.stop() == 0  # the history write follows the answer; a stop waits for it
    db = await open_database(SqliteTarget(tmp_path / "bot.sqlite3"))
    try:
        recent = await History(db).of("a", datetime.now(UTC) - timedelta(minutes=5))
    finally:
        await db.close()
    assert [s.video for s in recent] == [seeded], "the /credits read was recorded"


async def test_without_an_alert_channel_the_accounts_are_still_read_for_the_history(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[2], audio_in_hours=None))
    bot = await start_bot(USEAPI_ACCOUNTS="a", CHECK_INTERVAL_MINUTES="0.005")
    await ticks(upstream, "a", 2)
    assert await bot.stop() == 0
    db = await open_database(SqliteTarget(tmp_path / "bot.sqlite3"))
    try:
        kept = await History(db).of("a", datetime.now(UTC) - timedelta(minutes=5))
    finally:
        await db.close()
    assert kept, "the checks keep the history without an alert channel"
    assert discord_stub.posted == [], "and post nothing: alerts are off"


def schedule_due_a_minute_ago() -> str:
    due = datetime.now(UTC) - timedelta(minutes=1)
    return f"daily@{due:%H:%M}"


def digests(stub: DiscordStub) -> list[dict[str, Any]]:
    return [m for m in stub.posted if m.get("embeds") and "digest" in m["embeds"][0]["title"]]


async def test_the_digest_is_posted_once_per_period_across_a_restart(
    seeded: int, start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    digest_at = schedule_due_a_minute_ago()
    bot = await start_bot(USEAPI_ACCOUNTS="a,b", DIGEST_SCHEDULE=digest_at, **FAST)
    await discord_stub.wait_for(lambda: digests(discord_stub))
    [digest] = digests(discord_stub)
    [embed] = digest["embeds"]
    assert embed["title"] == "Daily digest"
    assert [f["name"] for f in embed["fields"]] == ["a", "b"]
    assert "video/image" in embed["fields"][0]["value"] and "expire" in embed["fields"][0]["value"]
    [chart] = digest["attachments"]
    assert chart["filename"] == "usage.png" and chart["description"]
    assert digest["allowed_mentions"]["parse"] == []
    assert await bot.stop() == 0
    await bot.start()
    await ticks(upstream, "a", 3)
    await asyncio.sleep(RENEW_AND_A_BIT)  # the leader queues digests at each lease renewal
    assert len(digests(discord_stub)) == 1


RENEW_AND_A_BIT = 6.0


async def test_two_replicas_post_one_digest(
    postgres_url: str, start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[300], audio_in_hours=None))
    env = {
        "USEAPI_ACCOUNTS": "a",
        "DATABASE_URL": postgres_url,
        "DIGEST_SCHEDULE": schedule_due_a_minute_ago(),
        **FAST,
    }
    await asyncio.gather(start_bot(**env), start_bot(**env))
    await discord_stub.wait_for(lambda: digests(discord_stub))
    await asyncio.sleep(RENEW_AND_A_BIT)
    assert len(digests(discord_stub)) == 1
