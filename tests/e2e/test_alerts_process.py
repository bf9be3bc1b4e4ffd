"""Expiry alerts from the real bot process, ticking every ~1 s, into the loopback Discord."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from testbed.discord_payloads import CHANNEL_ID, MANAGER_PERMISSIONS
from testbed.discord_stub import DiscordStub
from testbed.process import BotProcess
from testbed.upstream import FakeUseapi, Fault, account_entry, sample_features
from tests.support.bots import StartBot, embeds_of
from tests.support.watching import FAST, ticks, titles

ROLE_ID = 900000000000000777


async def test_a_batch_two_hours_away_alerts_once_even_across_a_restart(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[2], audio_in_hours=None))
    bot = await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    await ticks(upstream, "a", 4)
    [message] = discord_stub.posted
    assert message["embeds"][0]["title"] == "Expiring soon on account a"
    assert "**10** video/image credits expire <t:" in message["embeds"][0]["description"]
    assert "(within 24 hours)" in message["embeds"][0]["description"]
    assert message["allowed_mentions"]["parse"] == []
    assert await bot.stop() == 0
    await bot.start()
    await ticks(upstream, "a", 3)
    assert len(discord_stub.posted) == 1, "a restart never reposts what was sent"


async def test_only_the_most_severe_threshold_after_downtime(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[0.5], audio_in_hours=None))
    await start_bot(USEAPI_ACCOUNTS="a", EXPIRY_WARNING_HOURS="72,24,1", **FAST)
    await ticks(upstream, "a", 3)
    [message] = discord_stub.posted
    assert "(within 1 hour)" in message["embeds"][0]["description"]


async def test_a_renewed_batch_alerts_again(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[2], audio_in_hours=None))
    await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    await discord_stub.wait_for(lambda: discord_stub.posted)
    upstream.add_account("a", sample_features(batches_in_hours=[3], audio_in_hours=None))
    await discord_stub.wait_for(lambda: len(discord_stub.posted) >= 2)
    await ticks(upstream, "a", 2)
    assert len(discord_stub.posted) == 2


async def test_a_refused_channel_delivers_once_when_it_recovers(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    discord_stub.channel_status = 403
    upstream.add_account("a", sample_features(batches_in_hours=[2], audio_in_hours=None))
    bot = await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    await ticks(upstream, "a", 4)
    assert discord_stub.posted == []
    assert bot.log().count("cannot post alerts: missing permission") == 1, "logged once"
    discord_stub.channel_status = 200
    await discord_stub.wait_for(lambda: discord_stub.posted)
    await ticks(upstream, "a", 3)
    assert len(discord_stub.posted) == 1
    assert "the alert channel works again" in bot.log()


async def crash_after_discord_took_the_alert(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> BotProcess:
    """SIGKILL the bot after Discord created its alert message but before it heard back."""
    discord_stub.hold_after_post = 30
    upstream.add_account("a", sample_features(batches_in_hours=[2], audio_in_hours=None))
    bot = await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    await discord_stub.wait_for(lambda: discord_stub.posted)
    await bot.kill()
    discord_stub.hold_after_post = 0
    return bot


def assert_delivered_once(stub: DiscordStub, tmp_path: Path) -> None:
    assert len(stub.posted) == 1
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").fetchone() == (0,)


async def test_a_crash_between_send_and_mark_resends_with_the_same_nonce(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path
) -> None:
    bot = await crash_after_discord_took_the_alert(start_bot, discord_stub, upstream)
    discord_stub.history_status = 403  # no Read Message History: only the nonce guards
    await bot.start()
    await ticks(upstream, "a", 3)
    sends = [
        c
        for c in discord_stub.calls
        if c.path.endswith(f"/channels/{CHANNEL_ID}/messages") and c.method == "POST"
    ]
    assert len(sends) == 2, "the pending alert was sent again after the restart"
    assert len({c.body["nonce"] for c in sends}) == 1
    assert_delivered_once(discord_stub, tmp_path)


async def test_a_crash_long_ago_is_caught_by_the_channel_history(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path
) -> None:
    bot = await crash_after_discord_took_the_alert(start_bot, discord_stub, upstream)
    discord_stub.by_nonce.clear()  # Discord forgets nonces after a few minutes
    await bot.start()
    await ticks(upstream, "a", 3)
    assert "was already posted; not posting it again" in bot.log()
    assert_delivered_once(discord_stub, tmp_path)


async def test_one_failing_account_while_another_alerts(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("slow", delay=30))
    upstream.add_account("b", sample_features(batches_in_hours=[2], audio_in_hours=None))
    await start_bot(USEAPI_ACCOUNTS="a,b", USEAPI_TIMEOUT_SECONDS="0.5", **FAST)
    await discord_stub.wait_for(lambda: discord_stub.posted)
    assert titles(discord_stub) == ["Expiring soon on account b"]


async def test_three_failures_then_recovery(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[300]))
    upstream.fail("a", Fault("status", status=596))
    await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    await discord_stub.wait_for(lambda: discord_stub.posted)
    await ticks(upstream, "a", 2)
    assert titles(discord_stub) == ["Can't read account a"]
    assert "Re-add the account at useapi.net" in discord_stub.posted[0]["embeds"][0]["description"]
    upstream.clear()
    first = discord_stub.posted[0]["id"]
    now = await discord_stub.wait_for(
        lambda: (m := discord_stub.message(first))["embeds"][0].get("fields") and m
    )
    [field] = now["embeds"][0]["fields"]
    assert field["name"] == "Resolved" and "it can be read again" in field["value"]
    assert not now["components"], "nothing left to answer"
    await ticks(upstream, "a", 2)
    assert titles(discord_stub) == ["Can't read account a"], "resolved in place: nothing new"


async def test_session_expiry_from_the_accounts_listing(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[500], audio_in_hours=None))
    upstream.listing_extra["a"] = account_entry("a", session_in_days=0.5)
    await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    await discord_stub.wait_for(lambda: discord_stub.posted)
    [embed] = discord_stub.posted[0]["embeds"]
    assert "MiniMax session expires" in embed["description"]
    assert "re-add the account at useapi.net" in embed["description"]


async def test_the_role_is_pinged_and_nothing_else(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("@everyone", sample_features(batches_in_hours=[2], audio_in_hours=None))
    await start_bot(USEAPI_ACCOUNTS="@everyone", ALERT_MENTION_ROLE_ID=str(ROLE_ID), **FAST)
    await discord_stub.wait_for(lambda: discord_stub.posted)
    [message] = discord_stub.posted
    assert message["content"].startswith(f"<@&{ROLE_ID}> ")
    assert "@everyone" not in message["content"].replace("@\u200beveryone", "")
    mentions = message["allowed_mentions"]
    assert mentions["parse"] == [] and [str(r) for r in mentions["roles"]] == [str(ROLE_ID)]
    assert not mentions.get("users")


async def test_alerts_commands(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[50]))
    await start_bot(
        USEAPI_ACCOUNTS="a", ALERT_CHANNEL_ID=str(CHANNEL_ID), CHECK_INTERVAL_MINUTES="60"
    )
    [alerts] = [c for c in discord_stub.commands["global"] if c["name"] == "alerts"]
    assert int(alerts["default_member_permissions"]) == 32, "server managers only"
    await discord_stub.wait_for(lambda: discord_stub.posted)  # the first check runs at once
    status = await discord_stub.inject("alerts", subcommand="status")
    await discord_stub.wait_for(lambda: embeds_of(status))
    [embed] = embeds_of(status)
    assert f"channel <#{CHANNEL_ID}> (ALERT_CHANNEL_ID)" in embed["description"]
    assert "expiry steps 72, 24, 1 h (EXPIRY_WARNING_HOURS)" in embed["description"]
    assert (
        "useapi.net account: subscription active · last renewed 2026-11-15"
        in (embed["description"])
    )
    assert (
        embed["fields"][0]["name"] == "account a"
        and "soonest expiry <t:" in embed["fields"][0]["value"]
    )
    test = await discord_stub.inject("alerts", subcommand="test", permissions=MANAGER_PERMISSIONS)
    await discord_stub.wait_for(lambda: embeds_of(test))
    assert "Posted a test alert" in embeds_of(test)[0]["description"]
    assert discord_stub.posted[-1]["embeds"][0]["footer"]["text"].startswith("This is a test")
    check = await discord_stub.inject("alerts", subcommand="check", permissions=MANAGER_PERMISSIONS)
    await discord_stub.wait_for(lambda: embeds_of(check))
    assert "Checked 1 account;" in embeds_of(check)[0]["description"]


async def test_alerts_off_without_a_channel(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[2]))
    bot = await start_bot(USEAPI_ACCOUNTS="a", CHECK_INTERVAL_MINUTES="0.005")
    status = await discord_stub.inject("alerts", subcommand="status")
    await discord_stub.wait_for(lambda: embeds_of(status))
    assert embeds_of(status)[0]["title"] == "Expiry alerts are off"
    assert "ALERT_CHANNEL_ID is not set" in bot.log()
    await ticks(upstream, "a", 2)  # still read, for the usage history
    assert discord_stub.posted == [], "but nothing is posted"
