"""Alert delivery when Discord or the database misbehave, from the real bot process."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from testbed.discord_payloads import CHANNEL_ID
from testbed.discord_stub import DiscordStub
from testbed.upstream import FakeUseapi, sample_features
from tests.support.bots import StartBot, embeds_of, final_messages
from tests.support.watching import FAST, ticks, titles

AUTOMOD = (400, 200000, "Message was blocked by AutoMod")


def alert_posts(stub: DiscordStub, word: str) -> list[Any]:
    return [
        c
        for c in stub.calls
        if c.method == "POST" and c.path.endswith(f"/channels/{CHANNEL_ID}/messages")
        if word in json.dumps(c.body)
    ]


async def test_an_alert_discord_refuses_for_good_is_set_aside_and_the_others_flow(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    discord_stub.refuse = lambda body: AUTOMOD if "forbidden" in json.dumps(body) else None
    upstream.add_account("forbidden", sample_features(batches_in_hours=[2], audio_in_hours=None))
    upstream.add_account("b", sample_features(batches_in_hours=[300], audio_in_hours=None))
    bot = await start_bot(USEAPI_ACCOUNTS="forbidden,b", **FAST)
    await discord_stub.wait_for(lambda: alert_posts(discord_stub, "forbidden"))
    # b's batch comes due after the refused alert, which is first in the outbox
    upstream.add_account("b", sample_features(batches_in_hours=[3], audio_in_hours=None))
    await discord_stub.wait_for(lambda: len(discord_stub.posted) >= 2)
    await ticks(upstream, "b", 3)
    alone = [c for c in alert_posts(discord_stub, "forbidden") if "account b" not in str(c.body)]
    assert len(alone) == 3, "tried a few times on its own, then no more"
    [alert, instead] = sorted(discord_stub.posted, key=lambda m: "embeds" not in m)
    assert alert["embeds"][0]["title"] == "Expiring soon on account b"
    assert (
        "An expiry alert could not be posted here: the server's AutoMod blocked it"
        in (instead["content"])
    )
    assert "/alerts status" in instead["content"] and "embeds" not in instead
    assert instead["allowed_mentions"]["parse"] == []
    assert bot.log().count("refused alert") == 3  # two retries, then set aside once

    status = await discord_stub.inject("alerts", subcommand="status")
    await discord_stub.wait_for(lambda: embeds_of(status))
    [embed] = embeds_of(status)
    assert "Discord refused them for good" in embed["description"]
    assert "expiry alert for account forbidden" in embed["description"]
    assert "AutoMod blocked it" in embed["description"]


async def test_an_invalid_message_is_set_aside_and_a_refused_channel_keeps_everything(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path
) -> None:
    invalid = (400, 50035, "Invalid Form Body")
    discord_stub.refuse = lambda body: invalid if "bad-one" in json.dumps(body) else None
    discord_stub.channel_status = 404  # the channel is gone for now: nothing is set aside
    upstream.add_account("bad-one", sample_features(batches_in_hours=[2], audio_in_hours=None))
    upstream.add_account("b", sample_features(batches_in_hours=[3], audio_in_hours=None))
    bot = await start_bot(USEAPI_ACCOUNTS="bad-one,b", **FAST)
    await ticks(upstream, "b", 5)
    assert discord_stub.posted == []
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM outbox WHERE set_aside IS NULL").fetchone() == (2,)
    assert bot.log().count("cannot post alerts") == 1, "logged once"
    discord_stub.channel_status = 200
    await discord_stub.wait_for(lambda: len(discord_stub.posted) == 2)
    await ticks(upstream, "b", 2)
    assert titles_or_text(discord_stub) == [
        "Expiring soon on account b",
        "⚠️ An expiry alert could not be posted here: Discord refused it (HTTP 400, code 50035)",
    ]


def titles_or_text(stub: DiscordStub) -> list[str]:
    return [
        m["embeds"][0]["title"] if m.get("embeds") else m["content"].split(". ")[0]
        for m in stub.posted
    ]


async def test_an_alert_that_became_untrue_while_the_channel_refused_is_not_posted(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path
) -> None:
    discord_stub.channel_status = 403
    soon = 6 / 3600  # six seconds, in hours: the bot takes about three to be ready
    upstream.add_account("a", sample_features(batches_in_hours=[soon], audio_in_hours=[2]))
    upstream.add_account("b", sample_features(batches_in_hours=[soon], audio_in_hours=None))
    ends = datetime.now(UTC) + timedelta(hours=soon)
    bot = await start_bot(USEAPI_ACCOUNTS="a,b", **FAST)
    await ticks(upstream, "b", 2)
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM outbox").fetchone() == (2,), "both queued"
    await asyncio.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()) + 0.2)
    discord_stub.channel_status = 200
    await discord_stub.wait_for(lambda: discord_stub.posted)
    await ticks(upstream, "b", 3)
    assert titles(discord_stub) == ["Expiring soon on account a"], "b's only batch has expired"
    description = discord_stub.posted[0]["embeds"][0]["description"]
    assert "audio credits expire" in description
    assert "video/image" not in description, "the expired batch is left out"
    assert "no longer true" in bot.log()


async def test_a_locked_database_never_delays_an_answer(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path
) -> None:
    """Another process holds the SQLite file's write lock for a few seconds (less than the
    bot's 5-second busy timeout), so the bot's writes wait for it, and every read queued
    behind them too: every command still answers within Discord's 3 seconds (the fixture
    checks it), /credits with its final answer while the lock is held."""
    upstream.add_account("a", sample_features(batches_in_hours=[300], audio_in_hours=None))
    bot = await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    await ticks(upstream, "a", 1)  # this process leads the checks and is checking
    locker = sqlite3.connect(tmp_path / "bot.sqlite3", isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        locker.execute("INSERT INTO meta(key, value) VALUES ('locked', 'yes')")
        await asyncio.sleep(0.5)  # the next check now waits to write
        status = await discord_stub.inject("alerts", subcommand="status")
        credits = await discord_stub.inject("credits")
        await discord_stub.wait_for(lambda: final_messages(credits))
        await discord_stub.wait_for(status.callback)
        assert not embeds_of(status), "the status waits for the database, after deferring"
        await asyncio.sleep(3.2 - (time.monotonic() - status.at))  # past Discord's deadline
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    await discord_stub.wait_for(lambda: embeds_of(status))
    assert embeds_of(status)[0]["title"] == "Expiry alerts"
    assert "Traceback" not in bot.log()
