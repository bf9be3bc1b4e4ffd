"""Rules per account through the real bot process: `/alerts rules` routes an account's alerts
to its channel with its role and its steps, low balance and running out alert once per
crossing (the video/image and the audio credits each by its own threshold), a role set to
none or unset back to the server default pings as it says, the useapi.net account's alerts
fire once and clear, rules outlive the process, only managers set them, and bad input gets
one line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from state import SqliteTarget, open_database
from testbed.discord_payloads import (
    CHANNEL_ID,
    EPHEMERAL,
    GUILD_ID,
    HIDDEN_CHANNEL_ID,
    MANAGER_PERMISSIONS,
    MUTED_CHANNEL_ID,
    ROUTED_CHANNEL_ID,
    ChannelRef,
)
from testbed.discord_stub import DiscordStub
from testbed.upstream import FakeUseapi, sample_features, useapi_account_payload
from tests.support.bots import StartBot, command, controls, final_messages, reply_of
from tests.support.watching import FAST, ticks
from usage.domain.history import History
from usage.domain.snapshot import Snapshot

TEAM_ROLE = 900000000000000777  # "minimax-team" in the stand-in's server
MANAGERS_ROLE = 900000000000000888  # "alert-managers"


def features(*, hours: float = 500, total: int = 1000) -> dict[str, Any]:
    return sample_features(batches_in_hours=[hours], audio_in_hours=None, total=total)


def with_audio(*, total: int, audio: int) -> dict[str, Any]:
    """Video/image credits `total` and audio credits `audio`, nothing expiring soon."""
    payload = sample_features(batches_in_hours=[500], audio_in_hours=[500], total=total)
    payload["audio"]["total_credit"] = audio
    return payload


async def rules(stub: DiscordStub, **options: Any) -> dict[str, Any]:
    """`/alerts rules` by a server manager: its one answer (content and embeds)."""
    item = await stub.inject("alerts", options, subcommand="rules", permissions=MANAGER_PERMISSIONS)
    return await reply_of(stub, item)


async def offered(stub: DiscordStub, focused: str, **options: Any) -> list[str]:
    """The values `/alerts rules` autocompletes for its option `focused`, typed as given."""
    item = await stub.inject(
        "alerts", options, subcommand="rules", focused=focused, permissions=MANAGER_PERMISSIONS
    )
    call = await stub.wait_for(
        lambda: next((c for c in item.calls if c.path.endswith("/callback")), None)
    )
    return [c["value"] for c in call.body["data"]["choices"]]


def posted_in(stub: DiscordStub, channel_id: int) -> list[dict[str, Any]]:
    return [m for m in stub.posted if m["channel_id"] == str(channel_id)]


def titles_in(stub: DiscordStub, channel_id: int) -> list[str]:
    return [e["title"] for m in posted_in(stub, channel_id) for e in m["embeds"]]


async def test_a_rule_routes_one_account_to_its_channel_with_its_role_and_steps(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    for account in ("a", "b"):
        upstream.add_account(account, features())
    await start_bot(USEAPI_ACCOUNTS="a,b", **FAST)
    answer = await rules(
        discord_stub,
        account="b",
        channel=ChannelRef(ROUTED_CHANNEL_ID),
        mention=f"<@&{TEAM_ROLE}>",
        steps="48,2",
    )
    await ticks(upstream, "b", 2)  # a check that read the rules before they changed is over
    [embed] = answer["embeds"]
    assert embed["title"] == "Alert rules for account b"
    assert f"channel: not set → <#{ROUTED_CHANNEL_ID}>" in embed["description"]
    assert f"Pings: <@&{TEAM_ROLE}> (this account's rule)" in embed["description"]
    assert answer["allowed_mentions"]["parse"] == [], "showing a rule pings nobody"
    for account in ("a", "b"):
        upstream.add_account(account, features(hours=60))
    await discord_stub.wait_for(lambda: posted_in(discord_stub, CHANNEL_ID))
    await ticks(upstream, "b", 3)
    assert titles_in(discord_stub, CHANNEL_ID) == ["Expiring soon on account a"]
    assert posted_in(discord_stub, ROUTED_CHANNEL_ID) == [], "b warns at 48 h, not 72"
    upstream.add_account("b", features(hours=40))
    await discord_stub.wait_for(lambda: posted_in(discord_stub, ROUTED_CHANNEL_ID))
    [routed] = posted_in(discord_stub, ROUTED_CHANNEL_ID)
    assert routed["content"].startswith(f"<@&{TEAM_ROLE}> ")
    assert [str(r) for r in routed["allowed_mentions"]["roles"]] == [str(TEAM_ROLE)]
    assert "(within 48 hours)" in routed["embeds"][0]["description"]
    [default] = posted_in(discord_stub, CHANNEL_ID)
    assert default["allowed_mentions"]["parse"] == [] and not default["allowed_mentions"].get(
        "roles"
    ), "a pings nobody: no role by default"
    status = await command(
        discord_stub, "alerts", subcommand="status", permissions=MANAGER_PERMISSIONS
    )
    [shown] = final_messages(status)[0]["embeds"]
    [b_field] = [f for f in shown["fields"] if f["name"] == "account b"]
    assert f"channel <#{ROUTED_CHANNEL_ID}> (this account's rule)" in b_field["value"]
    assert "expiry steps 48, 2 h (this account's rule)" in b_field["value"]
    [a_field] = [f for f in shown["fields"] if f["name"] == "account a"]
    assert "Rules:" not in a_field["value"], "a goes by the defaults, said once above"
    assert "expiry steps 72, 24, 1 h (EXPIRY_WARNING_HOURS)" in shown["description"]


async def test_low_balance_alerts_once_per_crossing_and_rearms(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", features(total=1000))
    await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    await rules(discord_stub, account="all", low_balance=100.0)
    upstream.add_account("a", features(total=50))
    await discord_stub.wait_for(lambda: posted_in(discord_stub, CHANNEL_ID))
    await ticks(upstream, "a", 3)
    assert titles_in(discord_stub, CHANNEL_ID) == ["Low balance on account a"]
    [message] = posted_in(discord_stub, CHANNEL_ID)
    assert "**50** video/image credits left, below the 100" in message["embeds"][0]["description"]
    press = await discord_stub.press(
        message["id"],
        controls(message)["Acknowledge"]["custom_id"],
        permissions=MANAGER_PERMISSIONS,
    )
    await discord_stub.wait_for(lambda: any(c.method == "PATCH" for c in press.calls))
    answered = str(discord_stub.message(message["id"])["embeds"])
    assert "✅ Acknowledged by <@900000000000000300>" in answered
    assert "later steps" not in answered, "a balance has no steps to skip"
    upstream.add_account("a", features(total=150))
    await ticks(upstream, "a", 2)
    upstream.add_account("a", features(total=40))
    await discord_stub.wait_for(lambda: len(posted_in(discord_stub, CHANNEL_ID)) >= 2)
    await ticks(upstream, "a", 2)
    assert titles_in(discord_stub, CHANNEL_ID) == ["Low balance on account a"] * 2


async def test_snooze_on_a_low_balance_alert_silences_its_account_until_it_ends(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    for account in ("a", "b"):
        upstream.add_account(account, features(total=1000))
    await start_bot(USEAPI_ACCOUNTS="a,b", **FAST)
    await rules(discord_stub, account="all", low_balance=100.0)
    upstream.add_account("a", features(total=50))
    await discord_stub.wait_for(lambda: posted_in(discord_stub, CHANNEL_ID))
    [alert] = posted_in(discord_stub, CHANNEL_ID)
    press = await discord_stub.press(
        alert["id"],
        controls(alert)["Snooze 1 day"]["custom_id"],
        permissions=MANAGER_PERMISSIONS,
    )
    await discord_stub.wait_for(lambda: any(c.method == "PATCH" for c in press.calls))
    assert "💤 Snoozed by" in str(discord_stub.message(alert["id"])["embeds"])
    upstream.add_account("a", features(total=150))
    await ticks(upstream, "a", 2)
    upstream.add_account("a", features(total=40))  # a new crossing, while snoozed
    upstream.add_account("b", features(total=30))
    await discord_stub.wait_for(lambda: len(posted_in(discord_stub, CHANNEL_ID)) >= 2)
    await ticks(upstream, "a", 3)
    assert titles_in(discord_stub, CHANNEL_ID) == [
        "Low balance on account a",
        "Low balance on account b",
    ], "a is snoozed: nothing of it until the snooze ends"
    await command(
        discord_stub, "alerts", subcommand="unsnooze", account="a", permissions=MANAGER_PERMISSIONS
    )
    await discord_stub.wait_for(lambda: len(posted_in(discord_stub, CHANNEL_ID)) >= 4)
    assert sorted(titles_in(discord_stub, CHANNEL_ID)[2:]) == [
        "Alerts for account a resume",
        "Low balance on account a",
    ], "what still holds is said once the snooze is over"


async def seed_history(path: Path, account: str, credits: float, ago: timedelta) -> None:
    db = await open_database(SqliteTarget(path))
    try:
        then = datetime.now(UTC) - ago
        await History(db).record([(account, Snapshot(then, credits, 0.0))])
    finally:
        await db.close()


async def test_running_out_at_the_pace_alerts_once_and_rearms(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path
) -> None:
    await seed_history(tmp_path / "bot.sqlite3", "a", 1000.0, timedelta(days=2))
    await seed_history(tmp_path / "bot.sqlite3", "b", 1000.0, timedelta(hours=12))
    upstream.add_account("a", features(total=1000))
    upstream.add_account("b", features(total=100))
    await start_bot(USEAPI_ACCOUNTS="a,b", **FAST)
    await rules(discord_stub, account="all", runs_out_days=3.0)
    upstream.add_account("a", features(total=100))  # 900 spent in 2 days: gone in hours
    await discord_stub.wait_for(lambda: posted_in(discord_stub, CHANNEL_ID))
    await ticks(upstream, "a", 3)
    assert titles_in(discord_stub, CHANNEL_ID) == ["Running out on account a"], (
        "b has spent as fast, but over less than a day of history: no pace, no alert"
    )
    text = posted_in(discord_stub, CHANNEL_ID)[0]["embeds"][0]["description"]
    assert "a day), the **100** video/image credits left run out <t:" in text
    upstream.add_account("a", features(total=100_000))  # topped up: weeks at that pace
    await ticks(upstream, "a", 2)
    upstream.add_account("a", features(total=100))
    await discord_stub.wait_for(lambda: len(posted_in(discord_stub, CHANNEL_ID)) >= 2)
    assert titles_in(discord_stub, CHANNEL_ID) == ["Running out on account a"] * 2


async def test_the_useapi_account_alerts_once_and_clears(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", features())
    upstream.useapi_account = useapi_account_payload(total=4, error=1)
    await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    await discord_stub.wait_for(lambda: posted_in(discord_stub, CHANNEL_ID))
    await ticks(upstream, "a", 3)
    [message] = posted_in(discord_stub, CHANNEL_ID)
    assert message["embeds"][0]["title"] == "MiniMax accounts in error at useapi.net"
    assert "**1** of 4 MiniMax accounts" in message["embeds"][0]["description"]
    upstream.useapi_account = useapi_account_payload(total=4, active=False)
    await discord_stub.wait_for(lambda: len(posted_in(discord_stub, CHANNEL_ID)) >= 2)
    errors = await resolved(discord_stub, message["id"])
    assert "no MiniMax account is in error" in errors, "the accounts error cleared"
    await ticks(upstream, "a", 2)
    assert titles_in(discord_stub, CHANNEL_ID)[1:] == ["useapi.net subscription not active"]
    subscription = posted_in(discord_stub, CHANNEL_ID)[1]["id"]
    upstream.useapi_account = useapi_account_payload(total=4)
    said = await resolved(discord_stub, subscription)
    assert "the useapi.net subscription is active again" in said
    await ticks(upstream, "a", 2)
    assert len(posted_in(discord_stub, CHANNEL_ID)) == 2, "resolved in place: nothing new"


async def resolved(stub: DiscordStub, message_id: str) -> str:
    """The Resolved line an alert message shows, once it shows one."""
    message = await stub.wait_for(
        lambda: (m := stub.message(message_id))["embeds"][0].get("fields") and m
    )
    [field] = message["embeds"][0]["fields"]
    assert field["name"] == "Resolved" and not message["components"]
    return str(field["value"])


async def test_rules_outlive_the_process_and_only_managers_set_them(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", features(total=50))
    first = await start_bot(USEAPI_ACCOUNTS="a", ALERT_CHANNEL_ID=str(CHANNEL_ID))
    member = await discord_stub.inject(
        "alerts", {"account": "a", "low_balance": 100.0}, subcommand="rules"
    )
    refusal = await reply_of(discord_stub, member)
    assert "Manage Server" in refusal["content"] and refusal["flags"] & EPHEMERAL
    shown = await rules(discord_stub, account="a")
    assert "It has no rule of its own." in shown["embeds"][0]["description"]
    await rules(discord_stub, account="a", low_balance=100.0)
    await first.stop()
    await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    await discord_stub.wait_for(lambda: posted_in(discord_stub, CHANNEL_ID))
    assert titles_in(discord_stub, CHANNEL_ID) == ["Low balance on account a"]
    again = (await rules(discord_stub, account="a"))["embeds"][0]["description"]
    assert "Low balance: below 100 video/image credits (this account's rule)" in again
    assert "low_balance: not set → below 100 video/image credits" in again, "the change log says"
    assert "<@900000000000000300>" in again


async def test_bad_rules_are_answered_in_one_line_and_change_nothing(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", features())
    await start_bot(USEAPI_ACCOUNTS="a", ALERT_CHANNEL_ID=str(CHANNEL_ID))
    cases = [
        ({"account": "nobody", "low_balance": 5.0}, "I do not know account “nobody”"),
        ({"account": "a", "steps": "0"}, "steps “0” must be positive hours"),
        ({"account": "a", "steps": "abc"}, "steps “abc” must be positive hours"),
        ({"account": "a", "steps": "99999999999"}, "steps: at most 2160 hours (90 days)"),
        ({"account": "a", "steps": "24,1e308"}, "steps: at most 2160 hours (90 days)"),
        ({"account": "a", "low_balance": 1e300}, "low_balance must be 0 (off) to 1000000000"),
        ({"account": "a", "low_balance": -5.0}, "low_balance must be 0 (off) to 1000000000"),
        (
            {"account": "a", "channel": ChannelRef(HIDDEN_CHANNEL_ID)},
            f"I cannot see <#{HIDDEN_CHANNEL_ID}>",
        ),
        (
            {"account": "a", "channel": ChannelRef(MUTED_CHANNEL_ID)},
            f"I cannot post alerts in <#{MUTED_CHANNEL_ID}>: give the bot Send Messages",
        ),
        (
            {"account": "a", "steps": "24,0.25"},
            "steps: 0.25 h is shorter than the check interval (30 min): it could be missed; "
            "use ≥ 0.5 or lower CHECK_INTERVAL_MINUTES",
        ),
        ({"account": "a", "mention": "on-call"}, "mention: no role “on-call” in this server"),
        ({"account": "a", "escalate_to": "123456789012345678"}, "escalate_to: no role “1234"),
        (
            {"account": "a", "mention": f"<@&{GUILD_ID}>"},
            "mention: Alerts never ping @everyone: pick a role",
        ),
        ({"account": "a", "escalate_after": "0s"}, "escalate_after must be more than 0"),
        ({"account": "a", "escalate_after": "31d"}, "at most 30 days"),
        ({"account": "a", "escalate_repeat": 11}, "escalate_repeat must be 0 (one follow-up)"),
        ({"account": "a", "unset": "mention,colour"}, "unset: “colour” is not a field"),
        (
            {"account": "a", "low_balance": 5.0, "unset": "steps, low_balance"},
            "low_balance: given and unset in one command",
        ),
    ]
    for options, says in cases:
        answer = await rules(discord_stub, **options)
        assert says in answer["content"], (options, answer["content"])
        assert "\n" not in answer["content"] and not answer.get("embeds")
        assert answer["flags"] & EPHEMERAL
    shown = (await rules(discord_stub, account="a"))["embeds"][0]["description"]
    assert "It has no rule of its own." in shown and "Latest changes" not in shown


async def test_a_rule_channel_that_refuses_keeps_its_alerts_and_says_so(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    for account in ("a", "b"):
        upstream.add_account(account, features())
    await start_bot(USEAPI_ACCOUNTS="a,b", **FAST)
    await rules(discord_stub, account="b", channel=ChannelRef(ROUTED_CHANNEL_ID))
    discord_stub.channel_refusals[ROUTED_CHANNEL_ID] = (403, 50013, "Missing Permissions")
    await ticks(upstream, "b", 2)  # a check that read the rules before they changed is over
    for account in ("a", "b"):
        upstream.add_account(account, features(hours=30))
    await discord_stub.wait_for(lambda: posted_in(discord_stub, CHANNEL_ID))
    await ticks(upstream, "b", 3)
    assert titles_in(discord_stub, CHANNEL_ID) == ["Expiring soon on account a"]
    status = await command(
        discord_stub, "alerts", subcommand="status", permissions=MANAGER_PERMISSIONS
    )
    text = final_messages(status)[0]["embeds"][0]["description"]
    assert f"⚠️ Cannot post alerts in <#{ROUTED_CHANNEL_ID}>: missing permission" in text
    del discord_stub.channel_refusals[ROUTED_CHANNEL_ID]
    await discord_stub.wait_for(lambda: posted_in(discord_stub, ROUTED_CHANNEL_ID))
    assert titles_in(discord_stub, ROUTED_CHANNEL_ID) == ["Expiring soon on account b"]


async def test_a_stored_rule_that_cannot_work_is_skipped_and_the_account_alerts_by_the_defaults(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path
) -> None:
    """A rule an older version accepted (a step of 99999999999 hours) never stops the
    account's checks: the defaults apply, one warning is logged and `/alerts status` says so."""
    upstream.add_account("acc1", features(hours=20))
    first = await start_bot(USEAPI_ACCOUNTS="acc1")  # creates the database, alerts nowhere
    await first.stop()
    db = await open_database(SqliteTarget(tmp_path / "bot.sqlite3"))
    try:
        await db.execute(
            "INSERT INTO alert_rules(account, channel_id, role_id, steps, low_balance, "
            "runs_out_days, by_user, at) VALUES ('acc1', NULL, NULL, '[99999999999]', "
            "NULL, NULL, '1', 0)"
        )
    finally:
        await db.close()
    second = await start_bot(USEAPI_ACCOUNTS="acc1", **FAST)
    await discord_stub.wait_for(lambda: posted_in(discord_stub, CHANNEL_ID))
    await ticks(upstream, "acc1", 3)
    [alert] = posted_in(discord_stub, CHANNEL_ID)
    assert "(within 24 hours)" in alert["embeds"][0]["description"], "the default steps apply"
    assert "checking account 'acc1' failed" not in second.log()
    assert second.log().count("the alert rule of 'acc1' cannot be used") == 1, second.log()
    status = await command(
        discord_stub, "alerts", subcommand="status", permissions=MANAGER_PERMISSIONS
    )
    shown = str(final_messages(status)[0]["embeds"])
    assert "The rule of account acc1 cannot be used (a step over 2160 hours)" in shown


async def test_the_video_and_the_audio_credits_alert_low_each_by_its_own_threshold(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", with_audio(total=1000, audio=100))
    upstream.add_account("b", features(total=1000))  # no audio credits at all
    await start_bot(USEAPI_ACCOUNTS="a,b", **FAST)
    said = await rules(discord_stub, account="all", low_balance=500.0, low_audio=50.0)
    shown = said["embeds"][0]["description"]
    assert "Low audio balance: below 50 audio credits (this rule, the server default)" in shown
    await ticks(upstream, "a", 2)  # a check that read the rules before they changed is over
    upstream.add_account("a", with_audio(total=400, audio=100))  # video/image low, audio not
    await discord_stub.wait_for(lambda: posted_in(discord_stub, CHANNEL_ID))
    await ticks(upstream, "a", 3)
    [video] = posted_in(discord_stub, CHANNEL_ID)
    assert "**400** video/image credits left, below the 500" in video["embeds"][0]["description"]
    upstream.add_account("a", with_audio(total=400, audio=10))  # audio low too, video still
    upstream.add_account("b", features(total=1000))
    await discord_stub.wait_for(lambda: len(posted_in(discord_stub, CHANNEL_ID)) >= 2)
    await ticks(upstream, "a", 3)
    await ticks(upstream, "b", 2)
    [_, audio] = posted_in(discord_stub, CHANNEL_ID)
    assert [e["title"] for e in audio["embeds"]] == ["Low balance on account a"]
    assert "**10** audio credits left, below the 50" in audio["embeds"][0]["description"]
    upstream.add_account("a", with_audio(total=1000, audio=10))  # video topped up
    await ticks(upstream, "a", 3)
    assert len(posted_in(discord_stub, CHANNEL_ID)) == 2, "the audio alert stays said"
    assert "Resolved" in str(discord_stub.message(video["id"])["embeds"])
    assert "Resolved" not in str(discord_stub.message(audio["id"])["embeds"])
    assert all("account b" not in str(m["embeds"]) for m in posted_in(discord_stub, CHANNEL_ID))


async def test_a_role_set_to_none_or_unset_pings_as_it_says_while_the_server_default_pings(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    for account in ("a", "b", "c"):
        upstream.add_account(account, features())
    await start_bot(USEAPI_ACCOUNTS="a,b,c", **FAST)
    assert await offered(discord_stub, "mention", account="a", mention="team") == [str(TEAM_ROLE)]
    roles = await offered(discord_stub, "escalate_to", account="a", escalate_to="")
    assert roles[0] == "none" and {str(TEAM_ROLE), str(MANAGERS_ROLE)} <= set(roles)
    assert str(GUILD_ID) not in roles, "never @everyone"
    unset = await offered(discord_stub, "unset", account="a", unset="steps,me")
    assert unset == ["steps,mention"]
    await rules(discord_stub, account="all", mention="minimax-team")  # an exact name
    await rules(discord_stub, account="b", mention=str(MANAGERS_ROLE))  # an id
    none = await rules(discord_stub, account="a", mention="none")
    assert "Pings: none (this account's rule)" in none["embeds"][0]["description"]
    back = await rules(discord_stub, account="b", unset="mention")
    text = back["embeds"][0]["description"]
    assert f"mention: <@&{MANAGERS_ROLE}> → not set" in text
    assert f"Pings: <@&{TEAM_ROLE}> (the server default)" in text
    await ticks(upstream, "c", 2)  # a check that read the rules before they changed is over
    for account in ("a", "b", "c"):
        upstream.add_account(account, features(total=1000, hours=30))
    await discord_stub.wait_for(lambda: len(posted_in(discord_stub, CHANNEL_ID)) >= 2)
    await ticks(upstream, "a", 3)
    found = posted_in(discord_stub, CHANNEL_ID)
    pinging = [m for m in found if m["allowed_mentions"].get("roles")]
    [quiet] = [m for m in found if not m["allowed_mentions"].get("roles")]
    assert [e["title"] for e in quiet["embeds"]] == ["Expiring soon on account a"]
    assert "<@&" not in quiet["content"] and quiet["allowed_mentions"]["parse"] == []
    [loud] = pinging
    assert sorted(e["title"] for e in loud["embeds"]) == [
        "Expiring soon on account b",
        "Expiring soon on account c",
    ], "b is back on the server default, with c"
    assert loud["content"].startswith(f"<@&{TEAM_ROLE}> ")
    assert [str(r) for r in loud["allowed_mentions"]["roles"]] == [str(TEAM_ROLE)]


async def test_a_rule_whose_steps_the_interval_could_miss_is_warned_at_start(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", features())
    first = await start_bot(USEAPI_ACCOUNTS="a", ALERT_CHANNEL_ID=str(CHANNEL_ID))
    await rules(discord_stub, account="a", steps="48,6")
    assert await first.stop() == 0
    again = await start_bot(
        USEAPI_ACCOUNTS="a",
        ALERT_CHANNEL_ID=str(CHANNEL_ID),
        CHECK_INTERVAL_MINUTES="600",
        EXPIRY_WARNING_HOURS="72,48",
    )
    assert "the rule of 'a':" in again.log(), "its 6-hour step is shorter than 10 hours"
