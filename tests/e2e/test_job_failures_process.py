"""The job failure alert through the real bot process: on by default (50 % over the last 10
jobs), said once while it holds with the causes and what to do, "jobs succeed again" once
at the threshold plus the margin, Acknowledge on it, a snoozed account's alert held until
the snooze ends, and the rule's options shown, used and refused in one line."""

from __future__ import annotations

from typing import Any

from testbed.discord_payloads import CHANNEL_ID, MANAGER_PERMISSIONS
from testbed.discord_stub import DiscordStub
from testbed.upstream import FakeUseapi, sample_features
from tests.support.bots import StartBot, command, controls, reply_of
from tests.support.watching import FAST, titles

STATS_FAST = {**FAST, "STATS_INTERVAL_MINUTES": "0.02", "USAGE_WINDOW_DAYS": "3"}
FAILED = "Job failures on account a"
BACK = "Jobs succeed again on account a"


def limit_reads(upstream: FakeUseapi, account: str) -> int:
    return sum(1 for r in upstream.stats_calls(account) if "limit" in r.query)


async def judged_again(upstream: FakeUseapi, account: str) -> None:
    """Until the last jobs of `account` were read once more (jobs added before are judged
    then: an account's jobs changed, its last jobs are read again), and two more runs after."""
    seen = limit_reads(upstream, account)
    await upstream.wait_for(lambda: limit_reads(upstream, account) >= seen + 1)
    calls = len(upstream.stats_calls(account))
    await upstream.wait_for(lambda: len(upstream.stats_calls(account)) >= calls + 2)


def messages(stub: DiscordStub, title: str) -> list[dict[str, Any]]:
    return [
        m
        for m in stub.posted
        if m["channel_id"] == str(CHANNEL_ID) and any(e["title"] == title for e in m["embeds"])
    ]


def start(upstream: FakeUseapi, *accounts: str) -> None:
    for account in accounts:
        upstream.add_account(account, sample_features(batches_in_hours=[500], audio_in_hours=None))


async def press(stub: DiscordStub, message: dict[str, Any], label: str) -> None:
    pressed = await stub.press(
        message["id"], controls(message)[label]["custom_id"], permissions=MANAGER_PERMISSIONS
    )
    await stub.wait_for(lambda: any(c.method == "PATCH" for c in pressed.calls))


async def test_the_failure_alert_once_acknowledged_and_its_recovery_once(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    start(upstream, "a")
    upstream.add_job("a", code=200, count=4)
    upstream.add_job("a", code=596, count=5)
    upstream.add_job("a", code=412, count=1)
    await start_bot(USEAPI_ACCOUNTS="a", **STATS_FAST)
    [alert] = await discord_stub.wait_for(lambda: messages(discord_stub, FAILED))
    text = alert["embeds"][0]["description"]
    assert "Only **40 %** of its last 10 jobs succeeded, below the 50 % of its rule" in text
    assert "session rejected or account on hold (5 jobs): re-add the account at useapi.net" in text
    assert "out of credits (1 job): top up" in text
    assert next(r.query["limit"] for r in upstream.stats_calls("a") if "limit" in r.query) == "10"
    upstream.add_job("a", code=596, count=3)  # worse: still the same alert
    await judged_again(upstream, "a")
    upstream.add_job("a", code=200, count=5)  # 50 %: not below, not yet back
    await judged_again(upstream, "a")
    assert titles(discord_stub).count(FAILED) == 1, "said once while it holds"
    assert BACK not in titles(discord_stub), "50 % is under the 60 % that ends it"

    await press(discord_stub, alert, "Acknowledge")
    assert "✅ Acknowledged by <@" in str(discord_stub.message(alert["id"])["embeds"])

    upstream.add_job("a", code=200, count=1)  # 6 of the last 10: 60 %
    now = await discord_stub.wait_for(
        lambda: (
            len((m := discord_stub.message(alert["id"]))["embeds"][0].get("fields", [])) == 2 and m
        )
    )
    answer, resolved = now["embeds"][0]["fields"]
    assert "✅ Acknowledged by <@" in answer["value"], "the answer stays"
    assert resolved["name"] == "Resolved"
    assert "60 % of its last 10 jobs succeeded" in resolved["value"]
    upstream.add_job("a", code=200, count=2)
    await judged_again(upstream, "a")
    assert BACK not in titles(discord_stub), "the alert says it, no message of its own"
    assert titles(discord_stub).count(FAILED) == 1


async def test_a_snoozed_accounts_failure_alert_waits_until_the_snooze_ends(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    start(upstream, "a", "b")
    upstream.add_job("a", code=596, count=10)
    await start_bot(USEAPI_ACCOUNTS="a,b", **STATS_FAST)
    [alert] = await discord_stub.wait_for(lambda: messages(discord_stub, FAILED))
    await press(discord_stub, alert, "Snooze 1 day")
    upstream.add_job("a", code=200, count=10)  # recovers while snoozed: nothing said
    await judged_again(upstream, "a")
    upstream.add_job("a", code=596, count=10)  # fails again while snoozed
    await judged_again(upstream, "a")
    upstream.add_job("b", code=429, count=10)
    await discord_stub.wait_for(lambda: messages(discord_stub, "Job failures on account b"))
    calls = len(upstream.stats_calls("a"))
    await upstream.wait_for(lambda: len(upstream.stats_calls("a")) >= calls + 2)
    assert [t for t in titles(discord_stub) if t.startswith("Job")] == [
        FAILED,
        "Job failures on account b",
    ], "a is snoozed: nothing of it until the snooze ends"
    await command(
        discord_stub, "alerts", subcommand="unsnooze", account="a", permissions=MANAGER_PERMISSIONS
    )
    await discord_stub.wait_for(lambda: len(messages(discord_stub, FAILED)) == 2)
    await discord_stub.wait_for(lambda: "Alerts for account a resume" in titles(discord_stub))
    assert BACK not in titles(discord_stub)


async def test_the_rule_options_are_shown_used_and_refused_in_one_line(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    start(upstream, "a")
    await start_bot(USEAPI_ACCOUNTS="a", **STATS_FAST)

    async def rules(**options: Any) -> dict[str, Any]:
        item = await discord_stub.inject(
            "alerts", options, subcommand="rules", permissions=MANAGER_PERMISSIONS
        )
        return await reply_of(discord_stub, item)

    shown = (await rules(account="a"))["embeds"][0]["description"]
    assert "Job failures: below 50 % succeeded (the default)" in shown
    assert "Over the last: 10 jobs (the default)" in shown
    refused = await rules(account="a", failure_rate=150.0)
    assert refused["content"] == "failure_rate must be 0 (off) to 100 percent, e.g. 50."
    refused = await rules(account="all", failure_min_jobs=0)
    assert refused["content"] == "failure_min_jobs must be 1 to 1000 jobs, e.g. 10."
    answer = await rules(account="a", failure_rate=80.0, failure_min_jobs=4)
    text = answer["embeds"][0]["description"]
    assert "failure_rate: not set → below 80 % succeeded" in text
    assert "failure_min_jobs: not set → 4 jobs" in text
    assert "Job failures: below 80 % succeeded (this account's rule)" in text
    upstream.add_job("a", code=200, count=3)
    upstream.add_job("a", code=429, count=1)  # 75 % of the last 4
    [alert] = await discord_stub.wait_for(lambda: messages(discord_stub, FAILED))
    assert "of its last 4 jobs succeeded, below the 80 % of its rule" in str(alert["embeds"])
    assert {r.query["limit"] for r in upstream.stats_calls("a") if "limit" in r.query} == {"4"}
    status = await command(
        discord_stub, "alerts", subcommand="status", permissions=MANAGER_PERMISSIONS
    )
    assert "job failures below 80 % succeeded (this account's rule)" in str(status.final_messages())
