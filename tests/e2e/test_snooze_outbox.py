"""A snooze or an acknowledgement that lands while an alert waits in the outbox (Discord
refusing posts with 503), from the real bot process: the snoozed alert is judged again when
the snooze ends and posted once; the acknowledged one never; a snooze replaced before the
first one's end was noticed loses nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from testbed.discord_payloads import CHANNEL_ID
from testbed.discord_stub import DiscordStub
from testbed.upstream import FakeUseapi
from tests.e2e.test_alert_buttons import (
    MANAGER,
    STEPS,
    alerts_about,
    due_soon,
    edited,
    next_step,
    said,
    steps_posted,
)
from tests.support.bots import StartBot, controls
from tests.support.watching import ticks

POSTS = f"/channels/{CHANNEL_ID}/messages"


def refused_posts(stub: DiscordStub) -> int:
    return len([c for c in stub.calls if c.method == "POST" and c.path.endswith(POSTS)])


def resumed(stub: DiscordStub) -> list[str]:
    return [
        e["title"]
        for m in stub.posted
        for e in m.get("embeds") or []
        if "resume" in e.get("title", "")
    ]


async def until_over(reply: dict[str, object]) -> None:
    """Wait for the clock to pass the snooze's end, which its answer gives (<t:EPOCH:f>)."""
    end = int(str(reply["content"]).split("<t:")[1].split(":")[0])
    await asyncio.sleep(max(0.0, end + 1 - datetime.now(UTC).timestamp()))


async def test_an_alert_waiting_when_its_account_is_snoozed_is_posted_once_after(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    discord_stub.channel_status = 503  # Discord refuses every post: the alert waits
    due_soon(upstream, "a")
    await start_bot(USEAPI_ACCOUNTS="a", **STEPS)
    await discord_stub.wait_for(lambda: refused_posts(discord_stub) >= 1)
    reply = await said(discord_stub, "snooze", account="a", duration="0.15m")  # 9 s
    assert "No alerts for account a until" in str(reply["content"])
    discord_stub.channel_status = 200
    await ticks(upstream, "a", 3)
    assert discord_stub.posted == [], "not during the snooze"
    await discord_stub.wait_for(lambda: steps_posted(discord_stub, "a"), within=40)
    await ticks(upstream, "a", 3)
    assert steps_posted(discord_stub, "a") == ["2 hours"], "once, when the snooze is over"
    assert resumed(discord_stub) == ["Alerts for account a resume"]


async def test_an_alert_waiting_when_its_batch_is_acknowledged_is_never_posted(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    due_soon(upstream, "a")
    await start_bot(USEAPI_ACCOUNTS="a", **STEPS)
    [alert] = await discord_stub.wait_for(lambda: alerts_about(discord_stub, "a"))
    discord_stub.channel_status = 503
    seen = refused_posts(discord_stub)
    next_step(upstream, "a")  # the 1.9-hour step is queued and cannot be posted
    await discord_stub.wait_for(lambda: refused_posts(discord_stub) > seen)
    ack = controls(alert)["Acknowledge"]["custom_id"]
    pressed = await discord_stub.press(alert["id"], ack, permissions=MANAGER)
    await edited(discord_stub, pressed, alert["id"])
    discord_stub.channel_status = 200
    await ticks(upstream, "a", 4)
    assert steps_posted(discord_stub, "a") == ["2 hours"], "the team said it knows"


async def test_a_snooze_replaced_before_the_end_of_the_first_was_noticed_loses_nothing(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    """Checks an hour apart: the first snooze ends unnoticed; a second one continues it (one
    "resume" line, when the last ends, as the docs say) and what came due is posted then."""
    upstream.add_account("a")
    await start_bot(
        USEAPI_ACCOUNTS="a", ALERT_CHANNEL_ID=str(CHANNEL_ID), CHECK_INTERVAL_MINUTES="60"
    )
    await ticks(upstream, "a", 1)
    await until_over(await said(discord_stub, "snooze", account="a", duration="0.05m"))
    second = await said(discord_stub, "snooze", account="a", duration="0.1m")
    due_soon(upstream, "a")
    checked = await said(discord_stub, "check")
    assert discord_stub.posted == [], checked
    await until_over(second)
    await said(discord_stub, "check")
    assert steps_posted(discord_stub, "a") == ["24 hours"]
    assert resumed(discord_stub) == ["Alerts for account a resume"]
    await said(discord_stub, "check")
    assert steps_posted(discord_stub, "a") == ["24 hours"], "once"
