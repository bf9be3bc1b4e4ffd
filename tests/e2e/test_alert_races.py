"""Two people answering one alert at the same moment, from the real bot processes against the
loopback Discord (answered 0.3 s late, so that both presses are in flight together): the first
answer for an account stands, the later press is told who answered and how, and the message
says exactly what `/alerts status` lists; with one process, two on one SQLite file and two on
one PostgreSQL. And a press on an alert the bot has no record of says so."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from testbed.discord_payloads import EPHEMERAL, MANAGER_PERMISSIONS
from testbed.discord_stub import DiscordStub, Injected
from testbed.upstream import FakeUseapi, sample_features
from tests.support.bots import StartBot, command, controls
from tests.support.databases import wipe
from tests.support.watching import FAST

FIRST_MANAGER, SECOND_MANAGER = 900000000000000401, 900000000000000402
PAIRS = [
    ("Acknowledge", "Snooze 1 hour"),
    ("Acknowledge", "Snooze 7 days"),
    ("Snooze 1 hour", "Snooze 7 days"),
    ("Snooze 1 day", "Acknowledge"),
]
ACCOUNTS = [f"acct{i}" for i in range(len(PAIRS))]
CALLBACK_LATENCY = 0.3


def due(upstream: FakeUseapi, account: str) -> None:
    upstream.add_account(account, sample_features(batches_in_hours=[20], audio_in_hours=None))


def alert_of(stub: DiscordStub, account: str) -> dict[str, Any] | None:
    """The alert message about `account` as it is now (None before it is posted)."""
    for m in stub.posted:
        if any(e.get("title", "").endswith(f"account {account}") for e in m["embeds"]):
            return stub.message(m["id"])
    return None


def answer_of(stub: DiscordStub, message: dict[str, Any], account: str) -> str | None:
    """The answer the message shows now for `account` (None: none yet)."""
    [embed] = [e for e in stub.message(message["id"])["embeds"] if e["title"].endswith(account)]
    found = [f["value"] for f in embed.get("fields") or [] if f["name"] == "Answered"]
    return found[0] if found else None


def webhook_calls(press: Injected) -> list[Any]:
    """What the press's process sent after acknowledging it: edits and follow-up lines."""
    return [c for c in press.calls if "/webhooks/" in c.path and c.method in ("PATCH", "POST")]


def said_to(press: Injected) -> list[str]:
    """The ephemeral lines the presser was sent."""
    return [
        c.body["content"]
        for c in webhook_calls(press)
        if c.method == "POST" and c.body["flags"] & EPHEMERAL
    ]


def silences_of(status: str, account: str) -> list[str]:
    """The lines of `/alerts status` that snooze or acknowledge `account`."""
    return [line for line in status.split("\n") if line.startswith(f"- account {account}")]


async def press_both(
    stub: DiscordStub, message: dict[str, Any], labels: tuple[str, str], processes: int
) -> tuple[Injected, Injected]:
    """Two managers press at the same moment (with two processes, one press reaches each)."""
    buttons = controls(message)
    presses = await asyncio.gather(
        *(
            stub.press(
                message["id"],
                buttons[label]["custom_id"],
                permissions=MANAGER_PERMISSIONS,
                user_id=user,
                via=None if processes == 1 else i,
            )
            for i, (label, user) in enumerate(
                zip(labels, (FIRST_MANAGER, SECOND_MANAGER), strict=True)
            )
        )
    )
    first, second = presses
    return first, second


async def answer_in_pairs(
    start_bot: StartBot, stub: DiscordStub, upstream: FakeUseapi, processes: int, **env: str
) -> None:
    """The first account's alert comes alone, the others' in one message with a menu."""
    for account in ACCOUNTS:
        upstream.add_account(account, sample_features(batches_in_hours=[500]))
    due(upstream, ACCOUNTS[0])
    settings = {"USEAPI_ACCOUNTS": ",".join(ACCOUNTS), **FAST, **env}
    for _ in range(processes):
        await start_bot(**settings)
    await stub.wait_for(lambda: len(stub.sockets) == processes)
    await stub.wait_for(lambda: alert_of(stub, ACCOUNTS[0]))
    for account in ACCOUNTS[1:]:
        due(upstream, account)
    await stub.wait_for(lambda: all(alert_of(stub, a) for a in ACCOUNTS), within=30)
    assert len(stub.posted) == 2, "one alone, the rest together"
    stub.callback_delay = CALLBACK_LATENCY
    for account, labels in zip(ACCOUNTS, PAIRS, strict=True):
        message = alert_of(stub, account)
        assert message is not None
        if "menu" in controls(message):  # due together: both pick this account in the menu
            menu = controls(message)["menu"]["custom_id"]
            for user in (FIRST_MANAGER, SECOND_MANAGER):
                pick = await stub.press(
                    message["id"],
                    menu,
                    values=[account],
                    permissions=MANAGER_PERMISSIONS,
                    user_id=user,
                )
                await stub.wait_for(pick.callback)
        presses = await press_both(stub, message, labels, processes)
        await stub.wait_for(
            lambda m=message, a=account, ps=presses: (
                answer_of(stub, m, a) and all(webhook_calls(p) for p in ps)
            )
        )
        answer = answer_of(stub, message, account)
        status = await command(stub, "alerts", subcommand="status", permissions=MANAGER_PERMISSIONS)
        listed = silences_of(str(status.final_messages()[0]["embeds"][0]["description"]), account)
        assert answer is not None
        if answer.startswith("✅ Acknowledged"):
            assert len(listed) == 1, f"{labels}: acknowledged, and nothing snoozed: {listed}"
            assert ": video ending <t:" in listed[0]
        else:
            assert len(listed) == 1, f"{labels}: snoozed, and nothing acknowledged: {listed}"
            [snooze] = listed
            until = re.search(r"until <t:(\d+):R>", answer)
            assert until and f"until <t:{until[1]}:f>" in snooze, (labels, answer, snooze)
        told = [line for p in presses for line in said_to(p)]
        assert len(told) == 1, f"{labels}: one press stands, the other is told so: {told}"
        assert told[0].startswith(f"Account {account} was answered already: "), told
        assert answer in told[0], "the later press hears what the message says"
    stub.callback_delay = 0.0


@pytest.mark.parametrize("processes", [1, 2], ids=["one process", "two processes on SQLite"])
async def test_two_presses_at_once_leave_the_message_saying_what_status_lists(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, processes: int
) -> None:
    await answer_in_pairs(start_bot, discord_stub, upstream, processes)


async def test_two_presses_at_once_on_two_processes_on_postgresql(
    postgres_url: str, start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    await answer_in_pairs(start_bot, discord_stub, upstream, 2, DATABASE_URL=postgres_url)


async def test_a_press_on_an_alert_the_bot_has_no_record_of_says_so_from_every_control(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path
) -> None:
    for account in ("a", "b"):
        due(upstream, account)
    bot = await start_bot(USEAPI_ACCOUNTS="a,b", **FAST)
    message = await discord_stub.wait_for(lambda: alert_of(discord_stub, "a"))
    assert await bot.stop() == 0
    await asyncio.to_thread(wipe, tmp_path)  # the records are gone, the message is not
    await bot.start()
    buttons = controls(message)
    for label in ("menu", "Acknowledge", "Snooze 1 hour"):
        pressed = await discord_stub.press(
            message["id"],
            buttons[label]["custom_id"],
            values=["a"] if label == "menu" else None,
            permissions=MANAGER_PERMISSIONS,
        )
        await discord_stub.wait_for(lambda p=pressed: said_to(p))
        [line] = said_to(pressed)
        assert line.startswith("The bot has no record of this alert"), (label, line)
        assert "/alerts snooze" in line and "too old" not in line
    assert discord_stub.message(message["id"]) == message, "nothing changed on it"
