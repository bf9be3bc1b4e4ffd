"""The sample alert of `/alerts test` and its sample buttons, from the real bot process against
the loopback Discord: a press tells its presser what a real one would show and that it is a
sample, stores nothing and touches no other alert, is guarded like the real buttons, and
works after a restart."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from testbed.discord_payloads import EPHEMERAL, MANAGER_PERMISSIONS
from testbed.discord_stub import DiscordStub, Injected
from testbed.upstream import FakeUseapi, sample_features
from tests.support.bots import StartBot, command, controls
from tests.support.watching import FAST

SAMPLES = {
    "Acknowledge (sample)",
    "Snooze 1 hour (sample)",
    "Snooze 1 day (sample)",
    "Snooze 7 days (sample)",
}
ANSWERS = ("snoozes", "acks", "alert_messages", "alert_picks", "alert_answers")
"""Every table a press on an alert writes to (the group of a message is kept before it is
posted, so none of them changes while the test looks)."""


def answers_in(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as db:
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ANSWERS}


async def post_sample(stub: DiscordStub) -> dict[str, Any]:
    """`/alerts test` by a manager; the sample alert it posted, as it is now."""
    before = len(stub.posted)
    test = await command(stub, "alerts", subcommand="test", permissions=MANAGER_PERMISSIONS)
    assert "Posted a test alert" in str(test.embeds())
    [sample] = stub.posted[before:]
    return stub.message(sample["id"])


async def answer_of(stub: DiscordStub, press: Injected) -> dict[str, Any]:
    callback = await stub.wait_for(press.callback)
    assert callback["type"] == 4, "answered at once, in a message of its own"
    return callback["data"]


async def test_a_sample_press_shows_what_a_real_one_would_and_changes_nothing(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[2], audio_in_hours=None))
    await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    [real] = await discord_stub.wait_for(lambda: list(discord_stub.posted))
    sample = await post_sample(discord_stub)
    assert sample["embeds"][0]["footer"]["text"].startswith("This is a test")
    buttons = controls(sample)
    assert set(buttons) == SAMPLES
    stored = answers_in(tmp_path / "bot.sqlite3")
    ack = buttons["Acknowledge (sample)"]["custom_id"]
    data = await answer_of(
        discord_stub, await discord_stub.press(sample["id"], ack, permissions=MANAGER_PERMISSIONS)
    )
    assert data["flags"] & EPHEMERAL
    assert "sample alert" in data["content"] and "nothing was acknowledged" in data["content"]
    [shown] = data["embeds"]
    assert shown["title"] == sample["embeds"][0]["title"]
    [answer] = shown["fields"]
    assert answer["name"] == "Answered" and "✅ Acknowledged by <@" in answer["value"]
    assert data["allowed_mentions"]["parse"] == []
    snooze = buttons["Snooze 1 day (sample)"]["custom_id"]
    data = await answer_of(
        discord_stub,
        await discord_stub.press(sample["id"], snooze, permissions=MANAGER_PERMISSIONS),
    )
    assert "💤 Snoozed by <@" in data["embeds"][0]["fields"][0]["value"]
    assert answers_in(tmp_path / "bot.sqlite3") == stored, "no answer is stored"
    assert discord_stub.message(sample["id"]) == sample, "the sample stays as it was"
    assert discord_stub.message(real["id"])["components"] == real["components"]
    status = await command(discord_stub, "alerts", subcommand="status")
    assert "Acknowledged" not in str(status.embeds()) and "Snoozed" not in str(status.embeds())
    real_ack = controls(real)["Acknowledge"]["custom_id"]
    pressed = await discord_stub.press(real["id"], real_ack, permissions=MANAGER_PERMISSIONS)
    assert (await discord_stub.wait_for(pressed.callback))["type"] == 6, "the real alert is open"


async def test_only_managers_may_press_a_sample_and_it_works_after_a_restart(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[300], audio_in_hours=None))
    bot = await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    sample = await post_sample(discord_stub)
    snooze = controls(sample)["Snooze 1 hour (sample)"]["custom_id"]
    refused = await answer_of(discord_stub, await discord_stub.press(sample["id"], snooze))
    assert refused["content"] == "Only members with the Manage Server permission may do this."
    assert refused["flags"] & EPHEMERAL
    assert await bot.stop() == 0
    await bot.start()
    data = await answer_of(
        discord_stub,
        await discord_stub.press(sample["id"], snooze, permissions=MANAGER_PERMISSIONS),
    )
    assert "sample alert" in data["content"] and data["flags"] & EPHEMERAL
    assert "💤 Snoozed by <@" in data["embeds"][0]["fields"][0]["value"]
