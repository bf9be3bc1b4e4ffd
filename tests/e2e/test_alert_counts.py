"""What `/alerts check` says it did, from the real bot process: messages, and the alerts in
them (one message carries the alerts of several accounts)."""

from __future__ import annotations

from testbed.discord_payloads import CHANNEL_ID, MANAGER_PERMISSIONS
from testbed.discord_stub import DiscordStub
from testbed.upstream import FakeUseapi, sample_features
from tests.support.bots import StartBot, embeds_of
from tests.support.watching import ticks


async def check_said(stub: DiscordStub) -> str:
    check = await stub.inject("alerts", subcommand="check", permissions=MANAGER_PERMISSIONS)
    await stub.wait_for(lambda: embeds_of(check))
    return embeds_of(check)[0]["description"]


async def test_alerts_check_counts_messages_and_the_alerts_in_them(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    for account in ("a", "b"):
        upstream.add_account(account, sample_features(batches_in_hours=[100]))
    await start_bot(
        USEAPI_ACCOUNTS="a,b", ALERT_CHANNEL_ID=str(CHANNEL_ID), CHECK_INTERVAL_MINUTES="60"
    )
    await ticks(upstream, "b", 1)  # the first check, at start: nothing due yet
    assert (await check_said(discord_stub)).startswith("Checked 2 accounts; posted nothing.")
    for account in ("a", "b"):
        upstream.add_account(account, sample_features(batches_in_hours=[50]))
    said = await check_said(discord_stub)
    [message] = discord_stub.posted
    assert len(message["embeds"]) == 2, "the two accounts' alerts share one message"
    assert said.startswith("Checked 2 accounts; posted 1 message with 2 alerts."), said
