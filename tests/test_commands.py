"""The slash commands dispatched through discord.py's own tree against both loopback servers."""

from __future__ import annotations

from typing import Any

import pytest

from minimax_api import RetryPolicy
from testbed.discord_payloads import EPHEMERAL, MANAGER_PERMISSIONS
from testbed.discord_stub import DiscordStub, Injected
from testbed.upstream import FakeUseapi, Fault, sample_features
from tests.support.bots import (
    SLASH_COMMANDS,
    BotFactory,
    embeds_of,
    final_messages,
    run_command,
    text_of,
)
from tests.support.failures import UPSTREAM_FAILURES, UpstreamFailure


def callback(item: Injected) -> dict[str, Any]:
    body = item.callback()
    assert body is not None
    return body


async def test_credits_for_the_only_configured_account(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("acc1", sample_features(batches_in_hours=[5, 50]))
    bot = await make_bot(USEAPI_ACCOUNTS="acc1")
    item = await run_command(bot, discord_stub, "credits")
    first = callback(item)
    assert first["type"] == 5, "the command defers before calling useapi.net"
    assert first["data"]["flags"] & EPHEMERAL
    [edit] = final_messages(item)
    [embed] = edit["embeds"]
    assert embed["title"] == "Credits · acc1"
    assert "**100** video/image credits" in embed["description"]
    assert [f["name"] for f in embed["fields"]][:2] == [
        "Video/image credit batches",
        "Audio (minimax.io/audio)",
    ]
    assert "MiniMax session" in str(embed)
    assert upstream.feature_calls("acc1")


async def test_public_answer_is_not_ephemeral(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("acc1")
    bot = await make_bot(USEAPI_ACCOUNTS="acc1")
    item = await run_command(bot, discord_stub, "credits", public=True)
    assert not (callback(item).get("data") or {}).get("flags", 0) & EPHEMERAL


async def test_summary_of_several_accounts(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", sample_features(total=11))
    upstream.add_account("b", sample_features(total=22))
    bot = await make_bot(USEAPI_ACCOUNTS="a,b,c")
    item = await run_command(bot, discord_stub, "credits")
    [embed] = embeds_of(item)
    assert embed["title"] == "Credits · 3 accounts"
    values = {f["name"]: f["value"] for f in embed["fields"]}
    assert values["a"].startswith("**11** credits")
    assert values["b"].startswith("**22** credits")
    assert "does not know account c" in values["c"]


async def test_explicit_account_overrides_the_summary(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a")
    upstream.add_account("b", sample_features(total=22))
    bot = await make_bot(USEAPI_ACCOUNTS="a,b")
    item = await run_command(bot, discord_stub, "credits", account="b")
    assert embeds_of(item)[0]["title"] == "Credits · b"


async def test_no_configured_account_lets_useapi_pick(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("solo", sample_features(total=9))
    bot = await make_bot()
    item = await run_command(bot, discord_stub, "credits")
    assert "**9** video/image credits" in text_of(item)
    assert upstream.requests[0].raw_query == ""


async def test_account_required_lists_the_accounts(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("111")
    upstream.add_account("222")
    bot = await make_bot()
    item = await run_command(bot, discord_stub, "models")
    [embed] = embeds_of(item)
    assert embed["title"] == "Pick an account"
    assert "111" in embed["description"] and "222" in embed["description"]


async def test_models_asks_to_pick_when_several_are_configured(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a")
    bot = await make_bot(USEAPI_ACCOUNTS="a,b")
    item = await run_command(bot, discord_stub, "models")
    [embed] = embeds_of(item)
    assert embed["title"] == "Pick an account"
    assert not upstream.feature_calls("a")


async def test_models_lists_every_model(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("acc1")
    bot = await make_bot(USEAPI_ACCOUNTS="acc1")
    item = await run_command(bot, discord_stub, "models")
    [embed] = embeds_of(item)
    assert len(embed["fields"]) == 7
    assert embed["fields"][-1]["name"] == "S2V-01 (subject reference) · 23021"


async def test_sixty_models_arrive_in_several_messages(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    payload = sample_features()
    payload["modelControl"] = [
        {
            "modelId": f"m{i}-" + "q" * 200,
            "videoCost": i,
            "durations": list(range(100)),
            "modes": ["@everyone " * 50],
        }
        for i in range(60)
    ]
    upstream.add_account("acc1", payload)
    bot = await make_bot(USEAPI_ACCOUNTS="acc1")
    item = await run_command(bot, discord_stub, "models", public=True)
    messages = final_messages(item)
    assert len(messages) > 1
    assert sum(len(e["fields"]) for e in embeds_of(item)) == 60
    followups = [c for c in item.calls if c.method == "POST" and "/webhooks/" in c.path]
    assert all(not (c.body.get("flags") or 0) & EPHEMERAL for c in followups)


@pytest.mark.parametrize("failure", UPSTREAM_FAILURES, ids=lambda f: f.name)
async def test_each_upstream_failure_has_its_own_answer(
    make_bot: BotFactory,
    discord_stub: DiscordStub,
    upstream: FakeUseapi,
    failure: UpstreamFailure,
) -> None:
    upstream.add_account("acc1")
    upstream.fail("acc1", failure.fault())
    quick = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.01)
    bot = await make_bot(retry=quick, USEAPI_ACCOUNTS="acc1")
    item = await run_command(bot, discord_stub, "credits")
    [embed] = embeds_of(item)
    assert failure.expected("acc1") in f"{embed['title']} {embed['description']}"
    assert callback(item)["data"]["flags"] & EPHEMERAL, "errors are told only to the user"
    upstream.clear()
    again = await run_command(bot, discord_stub, "credits")
    assert "video/image credits" in text_of(again), "the bot still serves the next command"


async def test_public_error_is_told_only_to_the_user(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("acc1")
    upstream.fail("acc1", Fault("status", status=412))
    bot = await make_bot(USEAPI_ACCOUNTS="acc1")
    item = await run_command(bot, discord_stub, "credits", public=True)
    assert any(c.method == "DELETE" and c.path.endswith("/@original") for c in item.calls)
    [followup] = [c for c in item.calls if c.method == "POST" and "/webhooks/" in c.path]
    assert followup.body["flags"] & EPHEMERAL
    assert "out of credits" in followup.body["embeds"][0]["title"]


async def test_slow_upstream_is_deferred_within_three_seconds(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("acc1")
    upstream.fail("acc1", Fault("slow", delay=4.0, times=1))
    bot = await make_bot(USEAPI_ACCOUNTS="acc1")
    item = await run_command(bot, discord_stub, "credits")
    first = item.calls[0]
    assert first.path.endswith("/callback") and first.at - item.at < 3.0
    assert "video/image credits" in text_of(item)


async def test_unexpected_errors_are_answered_and_logged(
    make_bot: BotFactory,
    discord_stub: DiscordStub,
    upstream: FakeUseapi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    upstream.add_account("acc1")
    bot = await make_bot(USEAPI_ACCOUNTS="acc1")

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    bot.minimax.features = broken  # type: ignore[method-assign]
    item = await run_command(bot, discord_stub, "credits")
    [embed] = embeds_of(item)
    assert embed["title"] == "Something went wrong on our side"
    assert "boom" not in str(embed)
    assert "boom" in caplog.text


async def test_autocomplete_offers_configured_and_listed_accounts(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    for i in range(40):
        upstream.add_account(f"listed{i:02d}")
    bot = await make_bot(USEAPI_ACCOUNTS="mine,other")
    item = await run_command(bot, discord_stub, "credits", focused="account", account="")
    body = callback(item)
    assert body["type"] == 8
    names = [c["value"] for c in body["data"]["choices"]]
    assert len(names) == 25
    assert names[:3] == ["mine", "other", "listed00"]
    item = await run_command(bot, discord_stub, "credits", focused="account", account="ed3")
    assert [c["value"] for c in callback(item)["data"]["choices"]][:2] == ["listed30", "listed31"]


async def test_autocomplete_survives_a_broken_listing(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.listing_faults.append(Fault("status", status=500))
    bot = await make_bot(USEAPI_ACCOUNTS="mine")
    item = await run_command(bot, discord_stub, "models", focused="account", account="m")
    assert [c["value"] for c in callback(item)["data"]["choices"]] == ["mine"]


async def test_commands_are_synced_once_and_not_again_when_unchanged(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    bot = await make_bot()
    assert discord_stub.sync_count == 1
    assert {c["name"] for c in discord_stub.commands["global"]} == SLASH_COMMANDS
    await bot.close()
    await make_bot()
    assert discord_stub.sync_count == 1
    await make_bot(DISCORD_GUILD_ID="900000000000000100")
    assert {c["name"] for c in discord_stub.commands["900000000000000100"]} == SLASH_COMMANDS
    assert discord_stub.commands["global"] == [], "moving to a server removes the global copies"
    assert discord_stub.sync_count == 3
    await make_bot()
    assert discord_stub.commands["900000000000000100"] == [], "and moving back removes the server's"
    assert len(discord_stub.commands["global"]) == len(SLASH_COMMANDS)


async def test_autocomplete_skips_names_too_long_for_discord_and_still_fills_25(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    long_names = [f"{i}" + "L" * 120 for i in range(5)]
    for i in range(30):
        upstream.add_account(f"short{i:02d}")
    bot = await make_bot(USEAPI_ACCOUNTS=",".join(long_names))
    item = await run_command(bot, discord_stub, "credits", focused="account", account="")
    values = [c["value"] for c in callback(item)["data"]["choices"]]
    assert len(values) == 25
    assert all(len(v) <= 100 for v in values)


async def test_usage_of_an_account_with_no_history_reads_it_once_and_charts_what_there_is(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", sample_features(total=250, batches_in_hours=[30, 100]))
    bot = await make_bot(USEAPI_ACCOUNTS="a")  # not connected: no check runs in this test
    item = await run_command(bot, discord_stub, "usage")
    [embed] = embeds_of(item)
    assert "No usage history yet" not in embed["description"], embed
    assert "Still gathering usage history (since <t:" in embed["description"]
    [message] = [m for m in item.final_messages() if m.get("attachments")]
    assert message["attachments"][0]["content_type"] == "image/png", "the balance now, charted"
    assert len(upstream.feature_calls("a")) == 1
    await run_command(bot, discord_stub, "usage")
    assert len(upstream.feature_calls("a")) == 1, "read once: the second /usage has history"


async def test_the_rules_account_autocomplete_offers_all_first_then_the_accounts(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    for i in range(30):
        upstream.add_account(f"listed{i:02d}")
    bot = await make_bot(USEAPI_ACCOUNTS="mine")
    item = await run_command(
        bot,
        discord_stub,
        "alerts",
        subcommand="rules",
        focused="account",
        account="",
        permissions=MANAGER_PERMISSIONS,
    )
    names = [c["value"] for c in callback(item)["data"]["choices"]]
    assert names[:3] == ["all", "mine", "listed00"] and len(names) == 25
    item = await run_command(
        bot,
        discord_stub,
        "alerts",
        subcommand="rules",
        focused="account",
        account="ed1",
        permissions=MANAGER_PERMISSIONS,
    )
    names = [c["value"] for c in callback(item)["data"]["choices"]]
    assert "all" not in names and names[:2] == ["listed10", "listed11"]


async def test_the_rules_channel_option_offers_only_channels_a_bot_can_post_in(
    make_bot: BotFactory, discord_stub: DiscordStub
) -> None:
    await make_bot()
    [alerts] = [c for c in discord_stub.commands["global"] if c["name"] == "alerts"]
    [rules] = [o for o in alerts["options"] if o["name"] == "rules"]
    [channel] = [o for o in rules["options"] if o["name"] == "channel"]
    text, voice, category, news, stage, news_thread, thread, private = 0, 2, 4, 5, 13, 10, 11, 12
    forum, media = 15, 16
    assert sorted(channel["channel_types"]) == sorted(
        [text, voice, news, stage, news_thread, thread, private]
    )
    assert not {category, forum, media} & set(channel["channel_types"])
