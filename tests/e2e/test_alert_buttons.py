"""Alerts the team can answer, from the real bot process against the loopback Discord:
Acknowledge and Snooze on the alert message, who may press, presses after a restart and
under replicas, one message for many accounts, and `/alerts snooze|unsnooze`."""

from __future__ import annotations

from typing import Any

from testbed.discord_payloads import EPHEMERAL, MANAGER_PERMISSIONS
from testbed.discord_stub import DiscordStub, Injected
from testbed.upstream import FakeUseapi, sample_features
from tests.support.bots import StartBot, command, controls, reply_of
from tests.support.watching import FAST, ticks

MANAGER = MANAGER_PERMISSIONS
ROLE_ID = 900000000000000888
BUTTONS = {"Acknowledge", "Snooze 1 hour", "Snooze 1 day", "Snooze 7 days"}
# A batch 1.999 h away is due at the 2-hour step; `next_step` moves it 9 minutes closer (the
# same batch: end times within 10 minutes are one), past the 1.9-hour step at once.
STEPS = {**FAST, "EXPIRY_WARNING_HOURS": "2,1.9"}


def due_soon(upstream: FakeUseapi, *accounts: str, hours: float = 1.999) -> None:
    for account in accounts:
        features = sample_features(batches_in_hours=[hours], audio_in_hours=None)
        upstream.add_account(account, features)


def next_step(upstream: FakeUseapi, *accounts: str) -> None:
    due_soon(upstream, *accounts, hours=1.999 - 0.15)


def alerts_about(stub: DiscordStub, account: str) -> list[dict[str, Any]]:
    """The alert messages that name `account`, as they are now."""
    return [
        stub.message(m["id"])
        for m in stub.posted
        if any(e.get("title", "").endswith(f"account {account}") for e in m.get("embeds") or [])
    ]


def steps_posted(stub: DiscordStub, account: str) -> list[str]:
    """Each step announced for `account`, in order ("within 2 hours", …)."""
    found = []
    for m in stub.posted:
        for e in m.get("embeds") or []:
            if e.get("title", "").endswith(f"account {account}"):
                found.append(e["description"].split("(within ")[1].split(")")[0])
    return found


async def answered(stub: DiscordStub, press: Injected) -> dict[str, Any]:
    return await stub.wait_for(press.callback)


async def edited(stub: DiscordStub, press: Injected, message_id: str) -> dict[str, Any]:
    """The message once the press's deferred edit (type 6, then @original) reached it."""
    assert (await answered(stub, press))["type"] == 6, "the press is acknowledged at once"
    await stub.wait_for(lambda: any(c.method == "PATCH" for c in press.calls))
    return stub.message(message_id)


async def said(stub: DiscordStub, subcommand: str, **options: Any) -> dict[str, Any]:
    """`/alerts <subcommand>` answered in one line only the user sees: its text and flags."""
    item = await stub.inject("alerts", options, subcommand=subcommand, permissions=MANAGER)
    return await reply_of(stub, item)


async def test_acknowledge_edits_the_message_and_that_batch_stays_quiet_while_another_alerts(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    due_soon(upstream, "a", "b")
    await start_bot(USEAPI_ACCOUNTS="a,b", **STEPS)
    [first] = await discord_stub.wait_for(lambda: alerts_about(discord_stub, "a"))
    assert [e["title"] for e in first["embeds"]] == [
        "Expiring soon on account a",
        "Expiring soon on account b",
    ], "one message for the accounts due together"
    buttons = controls(first)
    assert set(buttons) == {"menu", *BUTTONS}
    assert [o["value"] for o in buttons["menu"]["options"]] == ["a", "b"]
    assert all(o.get("default") for o in buttons["menu"]["options"]), "all picked by default"
    pick = await discord_stub.press(
        first["id"], buttons["menu"]["custom_id"], values=["a"], permissions=MANAGER
    )
    assert (await answered(discord_stub, pick))["type"] == 6
    ack = await discord_stub.press(
        first["id"], buttons["Acknowledge"]["custom_id"], permissions=MANAGER
    )
    now = await edited(discord_stub, ack, first["id"])
    [a_embed, b_embed] = now["embeds"]
    [answer] = a_embed["fields"]
    assert answer["name"] == "Answered" and "✅ Acknowledged by <@" in answer["value"]
    assert "<t:" in answer["value"]
    assert not b_embed.get("fields"), "b was not picked"
    assert set(controls(now)) == BUTTONS, "one account left: the buttons only"
    assert now["allowed_mentions"]["parse"] == [], "the mention of who pressed pings nobody"
    next_step(upstream, "a", "b")
    await discord_stub.wait_for(lambda: len(steps_posted(discord_stub, "b")) >= 2, within=30)
    await ticks(upstream, "a", 3)
    assert steps_posted(discord_stub, "a") == ["2 hours"], "a's next step is not posted"
    assert steps_posted(discord_stub, "b") == ["2 hours", "1.9 hours"]
    snooze = await discord_stub.press(
        first["id"], controls(now)["Snooze 1 day"]["custom_id"], permissions=MANAGER
    )
    after = await edited(discord_stub, snooze, first["id"])
    assert "💤 Snoozed by" in str(after["embeds"][1]), "the pick of a is over: b is what is left"
    assert controls(after) == {}, "every account answered: the buttons go"


async def test_only_managers_or_the_manager_role_may_press_and_a_refusal_changes_nothing(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    due_soon(upstream, "a")
    await start_bot(USEAPI_ACCOUNTS="a", ALERT_MANAGER_ROLE_ID=str(ROLE_ID), **FAST)
    [alert] = await discord_stub.wait_for(lambda: alerts_about(discord_stub, "a"))
    ack = controls(alert)["Acknowledge"]["custom_id"]
    refused = await discord_stub.press(alert["id"], ack)  # a member who manages nothing
    said = await answered(discord_stub, refused)
    assert said["type"] == 4 and said["data"]["flags"] & EPHEMERAL
    assert said["data"]["content"] == (
        f"Only members with the Manage Server permission or the <@&{ROLE_ID}> role may do this."
    )
    assert said["data"]["allowed_mentions"]["parse"] == []
    assert discord_stub.message(alert["id"]) == alert, "nothing changed"
    status = await command(discord_stub, "alerts", subcommand="status")
    assert "Acknowledged" not in str(status.embeds())
    with_role = await discord_stub.press(alert["id"], ack, roles=[ROLE_ID])
    now = await edited(discord_stub, with_role, alert["id"])
    assert controls(now) == {}, "answered: the buttons go"
    status = await command(discord_stub, "alerts", subcommand="status")
    assert "✅ Acknowledged:" in str(status.embeds()) and "account a" in str(status.embeds())


async def test_snooze_by_button_and_by_command_and_the_end_of_a_snooze_posts_what_is_due_once(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("c", sample_features(batches_in_hours=[300], audio_in_hours=None))
    due_soon(upstream, "a")
    await start_bot(USEAPI_ACCOUNTS="a,b,c", **STEPS)
    [alert] = await discord_stub.wait_for(lambda: alerts_about(discord_stub, "a"))
    snooze = controls(alert)["Snooze 1 hour"]["custom_id"]
    pressed = await discord_stub.press(alert["id"], snooze, permissions=MANAGER)
    [answer] = (await edited(discord_stub, pressed, alert["id"]))["embeds"][0]["fields"]
    assert "💤 Snoozed by <@" in answer["value"] and "until <t:" in answer["value"]
    reply = await said(discord_stub, "snooze", account="b", duration="2d")
    assert "No alerts for account b until" in reply["content"]
    due_soon(upstream, "b", "c")  # b is snoozed; c alerts
    await discord_stub.wait_for(lambda: steps_posted(discord_stub, "c"), within=30)
    next_step(upstream, "a", "b", "c")
    await discord_stub.wait_for(lambda: len(steps_posted(discord_stub, "c")) >= 2, within=30)
    assert steps_posted(discord_stub, "a") == ["2 hours"], "snoozed: no alert of any kind"
    assert steps_posted(discord_stub, "b") == []
    status = await command(discord_stub, "alerts", subcommand="status")
    shown = str(status.embeds())
    assert "💤 Snoozed:" in shown and "account a" in shown and "account b" in shown
    reply = await said(discord_stub, "unsnooze", account="a")
    assert reply["content"] == "🔔 Alerts for account a resume at the next check."
    await discord_stub.wait_for(lambda: len(steps_posted(discord_stub, "a")) >= 2, within=30)
    await ticks(upstream, "a", 3)
    assert steps_posted(discord_stub, "a") == ["2 hours", "1.9 hours"], "what is due, once"
    resumed = [
        e["title"]
        for m in discord_stub.posted
        for e in m.get("embeds") or []
        if "resume" in e.get("title", "")
    ]
    assert resumed == ["Alerts for account a resume"]


async def test_a_button_pressed_after_a_restart_works(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    due_soon(upstream, "a")
    bot = await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    [alert] = await discord_stub.wait_for(lambda: alerts_about(discord_stub, "a"))
    assert await bot.stop() == 0
    await bot.start()
    ack = controls(alert)["Acknowledge"]["custom_id"]
    pressed = await discord_stub.press(alert["id"], ack, permissions=MANAGER)
    assert "Acknowledged" in str((await edited(discord_stub, pressed, alert["id"]))["embeds"])


async def test_with_two_processes_one_press_has_one_effect_and_one_answer(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    due_soon(upstream, "a")
    await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    [alert] = await discord_stub.wait_for(lambda: alerts_about(discord_stub, "a"))
    ack = controls(alert)["Acknowledge"]["custom_id"]
    pressed = await discord_stub.press(alert["id"], ack, permissions=MANAGER)
    await edited(discord_stub, pressed, alert["id"])
    other = await command(discord_stub, "alerts", subcommand="status")  # both have seen it
    assert other.callback() is not None
    callbacks = [c for c in pressed.calls if c.path.endswith("/callback")]
    assert len(callbacks) == 1, "one answer"
    assert len([e for e in discord_stub.edits if e.message_id == alert["id"]]) == 1


async def test_twelve_accounts_due_in_one_check_arrive_in_at_most_two_messages(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    accounts = [f"acct{i:02d}" for i in range(12)]
    due_soon(upstream, *accounts)
    await start_bot(USEAPI_ACCOUNTS=",".join(accounts), **FAST)
    await discord_stub.wait_for(
        lambda: all(alerts_about(discord_stub, a) for a in accounts), within=30
    )
    assert len(discord_stub.posted) <= 2
    named = [e["title"] for m in discord_stub.posted for e in m["embeds"]]
    assert sorted(named) == [f"Expiring soon on account {a}" for a in accounts]
    for message in discord_stub.posted:
        assert len(message["embeds"]) <= 10 and "menu" in controls(message)


async def test_bad_snooze_input_is_answered_in_one_line(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[300], audio_in_hours=None))
    await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    cases = {
        ("nobody", "3h"): "I do not know account “nobody”",
        ("a", "0"): "is not a duration",
        ("a", "0h"): "must last some time",
        ("a", "40 days"): "at most 30 days",
        ("a", "soon"): "“soon” is not a duration: write it like 3h, 2d or 1w",
    }
    for (account, duration), expected in cases.items():
        data = await said(discord_stub, "snooze", account=account, duration=duration)
        assert expected in data["content"] and "\n" not in data["content"], data
        assert data["flags"] & EPHEMERAL
    assert (await said(discord_stub, "unsnooze", account="a"))["content"] == (
        "Account a is not snoozed."
    )
