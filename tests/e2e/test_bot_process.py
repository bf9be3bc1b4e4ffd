"""The real bot process against the loopback Discord and useapi.net."""

from __future__ import annotations

import asyncio
import signal

import pytest

from testbed.discord_payloads import EPHEMERAL
from testbed.discord_stub import DiscordStub
from testbed.upstream import FakeUseapi, Fault, sample_features
from tests.support.bots import (
    SLASH_COMMANDS,
    StartBot,
    autocomplete,
    command,
    embeds_of,
    final_messages,
    text_of,
)
from tests.support.failures import TIMEOUT_FAILURE, UPSTREAM_FAILURES


async def test_startup_syncs_once_and_not_again_after_a_restart(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    bot = await start_bot()
    assert discord_stub.sync_count == 1
    assert {c["name"] for c in discord_stub.commands["global"]} == SLASH_COMMANDS
    assert await bot.stop() == 0
    await bot.start()
    assert discord_stub.sync_count == 1, "an unchanged command tree is not synced again"
    assert "slash commands unchanged" in bot.log()


async def test_guild_sync(start_bot: StartBot, discord_stub: DiscordStub) -> None:
    await start_bot(DISCORD_GUILD_ID="900000000000000100")
    assert set(discord_stub.commands) == {"900000000000000100"}


async def test_credits_and_models_with_the_sample(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("123456", sample_features(batches_in_hours=[30]))
    await start_bot(USEAPI_ACCOUNTS="123456")
    credits = await command(discord_stub, "credits")
    [embed] = embeds_of(credits)
    assert embed["title"] == "Credits · 123456"
    assert "**100** video/image credits" in embed["description"]
    assert credits.calls[0].body["type"] == 5
    assert credits.calls[0].body["data"]["flags"] & EPHEMERAL
    models = await command(discord_stub, "models", public=True)
    [embed] = embeds_of(models)
    assert len(embed["fields"]) == 7
    assert not (models.calls[0].body.get("data") or {}).get("flags", 0) & EPHEMERAL


async def test_summary_across_accounts(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    for i in range(30):
        upstream.add_account(f"acc{i:02d}", sample_features(total=i))
    upstream.fail("acc05", Fault("status", status=596))
    await start_bot(USEAPI_ACCOUNTS=",".join(f"acc{i:02d}" for i in range(30)))
    item = await command(discord_stub, "credits")
    fields = [f for e in embeds_of(item) for f in e["fields"]]
    assert len(fields) == 30
    assert "on hold" in fields[5]["value"]
    assert fields[7]["value"].startswith("**7** credits")


async def test_autocomplete(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    for i in range(40):
        upstream.add_account(f"team{i:02d}")
    await start_bot(USEAPI_ACCOUNTS="main")
    assert (await autocomplete(discord_stub, "credits", "account", account=""))[:2] == [
        "main",
        "team00",
    ]
    assert len(await autocomplete(discord_stub, "models", "account", account="team")) == 25
    assert await autocomplete(discord_stub, "credits", "account", account="team39") == ["team39"]


async def test_sixty_models(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    payload = sample_features()
    payload["modelControl"] = [
        {"modelId": f"model-{i}-" + "m" * 150, "videoCost": i, "durations": list(range(60)),
         "resolutions": ["720P", "1080P"], "modes": ["x" * 300]}
        for i in range(60)
    ]  # fmt: skip
    upstream.add_account("long", payload)
    upstream.add_account("short", {"modelControl": [{"modelId": str(i)} for i in range(60)]})
    await start_bot()
    for account in ("long", "short"):
        item = await discord_stub.inject("models", {"account": account})
        await discord_stub.wait_for(
            lambda i=item: sum(len(e["fields"]) for e in embeds_of(i)) >= 60
        )
        assert sum(len(e["fields"]) for e in embeds_of(item)) == 60
    assert len(final_messages(item)) == 1, "short fields fit one message of three embeds"
    assert [len(e["fields"]) for e in embeds_of(item)] == [25, 25, 10]


async def test_every_upstream_failure_has_its_own_answer_and_the_bot_keeps_serving(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    await start_bot(USEAPI_TIMEOUT_SECONDS="1")
    for i, failure in enumerate([*UPSTREAM_FAILURES, TIMEOUT_FAILURE]):
        account = f"f{i}"  # a fresh account each time: successes are cached for 30 s
        upstream.add_account(account)
        upstream.clear()
        upstream.fail(account, failure.fault())
        for name in ("credits", "models"):
            item = await command(discord_stub, name, account=account)
            [embed] = embeds_of(item)
            said = f"{embed['title']}. {embed['description']}"
            assert failure.expected(account) in said, (failure.name, said)
            assert item.calls[0].body["data"]["flags"] & EPHEMERAL
        upstream.clear()
        ok = await command(discord_stub, "credits", account=account)
        assert "video/image credits" in text_of(ok), f"not serving after {failure.name}"


async def test_slow_upstream_is_deferred_and_answered(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    await start_bot()  # the check at start finds no account to read
    upstream.add_account("a", sample_features(total=4242))
    upstream.fail("a", Fault("slow", delay=10, times=1))
    item = await command(discord_stub, "credits", within=25, account="a")
    assert item.calls[0].at - item.at < 3.0
    assert "**4,242** video/image credits" in text_of(item)
    assert item.calls[-1].at - item.at >= 10


async def test_hostile_upstream_strings_cannot_ping_or_break_limits(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    hostile = "@everyone @here <@&900000000000000100> <@1> **bold** ||spoiler|| " + "w" * 5000
    payload = sample_features(batches_in_hours=[float(h) for h in range(1, 41)])
    payload.update(expireText=hostile, memberName=hostile, totalCreditsStr=hostile)
    payload["modelControl"][0]["modelId"] = hostile
    payload["modelControl"][1]["modes"] = [hostile]
    upstream.add_account("a", payload)
    upstream.fail("b", Fault("status", status=400, body={"error": hostile}))
    await start_bot(USEAPI_ACCOUNTS="a")
    for item in (
        await command(discord_stub, "credits"),
        await command(discord_stub, "models"),
        await command(discord_stub, "credits", account="b", public=True),
    ):
        shown = text_of(item)
        assert "@everyone" not in shown and "@here" not in shown
        assert "<@&900000000000000100>" not in shown


@pytest.mark.parametrize("account", ["a&b=c", "../x", "z" * 500, "ünïcødé ✓ 账户"])
async def test_bad_account_options(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, account: str
) -> None:
    upstream.add_account("real")
    await start_bot(USEAPI_ACCOUNTS="real")
    item = await command(discord_stub, "credits", account=account)
    [embed] = embeds_of(item)
    assert embed["title"].startswith("useapi.net does not know account")
    [seen] = upstream.feature_calls(account)
    assert seen.path == "/v1/minimax/features/"
    assert await autocomplete(discord_stub, "credits", "account", account=account) == []


async def test_sigterm_and_sigint_stop_cleanly(
    start_bot: StartBot, discord_stub: DiscordStub
) -> None:
    bot = await start_bot()
    assert await bot.stop(signal.SIGTERM) == 0
    await bot.start()
    await asyncio.sleep(0)
    assert await bot.stop(signal.SIGINT) == 0
