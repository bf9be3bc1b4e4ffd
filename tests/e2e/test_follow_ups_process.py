"""What follows an alert, through the real bot process against the loopback Discord: an
unanswered alert escalates (a reply pinging the escalation role) and an answered one does
not, the follow-up outlives a restart and is posted once by two processes, a cause that ends
turns its alert "resolved" (and cancels its escalation), and quiet hours hold pings back
except for the last-hour step."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from testbed.discord_payloads import MANAGER_PERMISSIONS
from testbed.discord_stub import DiscordStub
from testbed.process import BotProcess
from testbed.upstream import FakeUseapi, sample_features
from tests.support.bots import StartBot, controls, reply_of
from tests.support.watching import FAST, ticks

ESCALATION_ROLE = 900000000000000777
TEAM_ROLE = 900000000000000888
WAIT = 3  # seconds: escalate_after in these tests


def features(*, hours: float = 500, total: int = 1000) -> dict[str, Any]:
    return sample_features(batches_in_hours=[hours], audio_in_hours=None, total=total)


async def alerts(stub: DiscordStub, subcommand: str, **options: Any) -> dict[str, Any]:
    item = await stub.inject(
        "alerts", options, subcommand=subcommand, permissions=MANAGER_PERMISSIONS
    )
    return await reply_of(stub, item)


async def escalate(stub: DiscordStub, account: str = "all", **more: Any) -> None:
    said = await alerts(
        stub,
        "rules",
        account=account,
        escalate_after=f"{WAIT}s",
        escalate_to=str(ESCALATION_ROLE),
        **more,
    )
    assert "escalat" in str(said).lower(), said


def alert_messages(stub: DiscordStub) -> list[dict[str, Any]]:
    """The alert messages (with embeds), as they are now."""
    return [stub.message(m["id"]) for m in stub.posted if m.get("embeds")]


def replies_to(stub: DiscordStub, message_id: str) -> list[dict[str, Any]]:
    return [
        m
        for m in stub.posted
        if str((m.get("message_reference") or {}).get("message_id")) == message_id
    ]


async def until(predicate: Callable[[], bool], within: float = 30.0) -> None:
    """For the clock passing a moment the bot was given (nothing else marks it)."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 (the moment is the event)
            await asyncio.sleep(0.05)


async def past(seconds: float, upstream: FakeUseapi, account: str) -> None:
    """Wait until `seconds` have passed and the bot has checked `account` twice more (its
    leader's follow-ups run every few seconds: two lease rounds of 5 s at most)."""
    end = time.monotonic() + seconds
    await until(lambda: time.monotonic() >= end)
    await ticks(upstream, account, 2)
    await until(lambda: time.monotonic() >= end + 11)


async def test_an_unanswered_alert_escalates_once_and_an_acknowledged_one_does_not(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    for account in ("a", "b"):
        upstream.add_account(account, features())
    await start_bot(USEAPI_ACCOUNTS="a,b", **FAST)
    await escalate(discord_stub)
    for account in ("a", "b"):
        upstream.add_account(account, features(hours=30))
    [message] = await discord_stub.wait_for(lambda: alert_messages(discord_stub))
    buttons = controls(message)
    pick = await discord_stub.press(
        message["id"], buttons["menu"]["custom_id"], values=["b"], permissions=MANAGER_PERMISSIONS
    )
    await discord_stub.wait_for(pick.callback)
    ack = await discord_stub.press(
        message["id"], buttons["Acknowledge"]["custom_id"], permissions=MANAGER_PERMISSIONS
    )
    await discord_stub.wait_for(ack.callback)
    [reply] = await discord_stub.wait_for(lambda: replies_to(discord_stub, message["id"]), 20)
    assert reply["content"].startswith(f"<@&{ESCALATION_ROLE}> ⏫ Nobody has answered")
    assert "account a" in reply["content"] and "account b" not in reply["content"]
    assert [str(r) for r in reply["allowed_mentions"]["roles"]] == [str(ESCALATION_ROLE)]
    await past(WAIT, upstream, "a")
    assert len(replies_to(discord_stub, message["id"])) == 1, "once: no escalate_repeat"


async def test_a_topped_up_balance_resolves_its_alert_and_cancels_its_escalation(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", features(total=1000))
    await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    await alerts(discord_stub, "rules", account="a", low_balance=100)
    await escalate(discord_stub, "a")
    upstream.add_account("a", features(total=50))
    [message] = await discord_stub.wait_for(lambda: alert_messages(discord_stub))
    assert message["embeds"][0]["title"] == "Low balance on account a"
    assert controls(message), "open: it has its buttons"
    upstream.add_account("a", features(total=500))
    edited = await discord_stub.wait_for(
        lambda: (m := discord_stub.message(message["id"]))["embeds"][0].get("fields") and m
    )
    [field] = edited["embeds"][0]["fields"]
    assert field["name"] == "Resolved" and "<t:" in field["value"]
    assert "back to 500" in field["value"], field
    assert edited["embeds"][0]["color"] != message["embeds"][0]["color"], "muted"
    assert not edited["components"], "its buttons are gone"
    await past(WAIT, upstream, "a")
    assert replies_to(discord_stub, message["id"]) == [], "no escalation for what is resolved"
    assert len(alert_messages(discord_stub)) == 1, "nothing new is posted for a resolution"


def leader_of(*bots: BotProcess) -> BotProcess:
    [leader] = [b for b in bots if re.search(r"this process \(\S+\) leads", b.log())]
    return leader


async def test_a_follow_up_outlives_a_restart_and_two_processes_post_it_once(
    postgres_url: str, start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", features())
    env = {"USEAPI_ACCOUNTS": "a", "DATABASE_URL": postgres_url, **FAST}
    bots = await asyncio.gather(start_bot(**env), start_bot(**env))
    await escalate(discord_stub, "a")
    upstream.add_account("a", features(hours=30))
    [message] = await discord_stub.wait_for(lambda: alert_messages(discord_stub))
    leader = leader_of(*bots)
    assert await leader.stop() == 0, "the leader goes before the follow-up is due"
    await leader.start()
    [reply] = await discord_stub.wait_for(lambda: replies_to(discord_stub, message["id"]), 20)
    assert reply["content"].startswith(f"<@&{ESCALATION_ROLE}> ⏫")
    await past(WAIT, upstream, "a")
    assert len(replies_to(discord_stub, message["id"])) == 1, "once, by one process"


def window_around_now() -> str:
    """A quiet window in force now: from an hour ago to two hours on (UTC)."""
    now = datetime.now(UTC)
    start, end = now - timedelta(hours=1), now + timedelta(hours=2)
    return f"daily {start:%H:%M}-{end:%H:%M} UTC"


async def test_inside_quiet_hours_no_alert_pings_but_the_last_hour_step_does(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    for account in ("a", "b"):
        upstream.add_account(account, features())
    await start_bot(USEAPI_ACCOUNTS="a,b", ALERT_MENTION_ROLE_ID=str(TEAM_ROLE), **FAST)
    said = await alerts(discord_stub, "quiet", windows=window_around_now())
    assert "in force" in str(said), said
    upstream.add_account("a", features(hours=30))  # the 72-hour step: waits for the morning
    upstream.add_account("b", features(hours=0.9))  # the 1-hour step: pings anyway
    found = await discord_stub.wait_for(lambda: len(m := alert_messages(discord_stub)) >= 2 and m)
    by_account = {m["embeds"][0]["title"].split()[-1]: m for m in found}
    quiet, urgent = by_account["a"], by_account["b"]
    assert f"<@&{TEAM_ROLE}>" not in (quiet["content"] or "")
    assert not (quiet["allowed_mentions"] or {}).get("roles"), "nobody pinged at night"
    assert urgent["content"].startswith(f"<@&{TEAM_ROLE}>")
    assert [str(r) for r in urgent["allowed_mentions"]["roles"]] == [str(TEAM_ROLE)]
    status = await alerts(discord_stub, "status")
    assert "Quiet hours" in str(status) and "UTC" in str(status), status
