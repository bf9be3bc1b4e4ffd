"""Only the team sees its credits: the real bot process answers in the servers it serves and
refuses everywhere else (direct messages, other servers, user installs) before asking
useapi.net anything."""

from __future__ import annotations

from typing import Any

import pytest

from testbed.discord_payloads import (
    CHANNEL_ID,
    EPHEMERAL,
    GUILD_ID,
    OTHER_GUILD_ID,
    STRANGER_GUILD_ID,
)
from testbed.discord_stub import DiscordStub, Injected
from testbed.upstream import FakeUseapi, sample_features
from tests.support.bots import SLASH_COMMANDS, StartBot, command, embeds_of, final_messages

REFUSAL = "This bot serves its own team's server only."
PUBLIC_WARNING = "anyone can add this bot to a server and read the team's credits"


async def test_every_command_is_registered_for_servers_and_server_installs_only(
    start_bot: StartBot, discord_stub: DiscordStub
) -> None:
    bot = await start_bot()
    assert await bot.stop() == 0
    await start_bot(DISCORD_GUILD_ID=str(GUILD_ID))
    assert {k for k, v in discord_stub.commands.items() if v} == {str(GUILD_ID)}
    assert discord_stub.sync_count == 3  # global, the server, and the global ones removed
    synced = [c.body for c in discord_stub.calls if c.method == "PUT" and c.body]
    assert [len(body) for body in synced] == [len(SLASH_COMMANDS)] * 2
    for body in synced:
        for definition in body:
            assert definition["contexts"] == [0], definition["name"]
            assert definition["integration_types"] == [0], definition["name"]
            assert definition["dm_permission"] is False, definition["name"]


async def refused_everything(
    stub: DiscordStub, upstream: FakeUseapi, where: str, guild_id: int
) -> None:
    """/credits, /models, /usage and the account autocomplete from `where`: each gets the one
    refusal line (an empty list for autocomplete) and useapi.net is asked nothing."""
    seen = len(upstream.requests)
    place: dict[str, Any] = {"where": where, "guild_id": guild_id}
    answers: list[Injected] = []
    for name in ("credits", "models", "usage"):
        for options in ({}, {"account": "team"}):
            item = await stub.inject(name, options, **place)
            await stub.wait_for(lambda i=item: i.callback())
            answers.append(item)
    for name in ("credits", "models", "usage"):
        item = await stub.inject(name, {"account": "te"}, focused="account", **place)
        await stub.wait_for(lambda i=item: i.callback())
        assert item.callback() == {"type": 8, "data": {"choices": []}}, name
    for item in answers:
        callback = item.callback()
        assert callback is not None and callback["type"] == 4
        assert callback["data"]["content"] == REFUSAL
        assert callback["data"]["flags"] & EPHEMERAL
        assert not callback["data"].get("embeds") and not callback["data"].get("attachments")
        assert callback["data"]["allowed_mentions"]["parse"] == []
        assert len(item.calls) == 1, "nothing follows the refusal"
    asked = [r for r in upstream.requests[seen:] if r.path != "/v2/account/stats"]
    assert asked == [], "useapi.net was asked"  # the statistics are read in the background


async def answered(stub: DiscordStub, guild_id: int) -> None:
    item = await command(stub, "credits", account="team", guild_id=guild_id)
    assert "video/image credits" in str(embeds_of(item)), final_messages(item)
    item = await command(stub, "models", account="team", guild_id=guild_id)
    assert embeds_of(item)[0]["title"].startswith("Models")
    item = await command(stub, "usage", account="team", guild_id=guild_id)
    assert embeds_of(item)[0]["title"].startswith("Usage")


async def test_a_direct_message_and_a_user_install_are_refused_even_with_every_server_open(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("team", sample_features())
    bot = await start_bot()
    await refused_everything(discord_stub, upstream, "dm", GUILD_ID)
    await refused_everything(discord_stub, upstream, "user", STRANGER_GUILD_ID)
    await refused_everything(discord_stub, upstream, "user", GUILD_ID)
    await answered(discord_stub, GUILD_ID)
    log = bot.log()
    assert log.count("in a direct message from user") == 1, "logged once per user"
    assert log.count("through a user install") == 1


@pytest.mark.parametrize(
    "setting",
    [
        {"ALLOWED_GUILD_IDS": str(GUILD_ID)},
        {"DISCORD_GUILD_ID": str(GUILD_ID)},
        {"ALERT_CHANNEL_ID": str(CHANNEL_ID)},
    ],
    ids=["ALLOWED_GUILD_IDS", "DISCORD_GUILD_ID", "ALERT_CHANNEL_ID"],
)
async def test_a_server_that_is_not_allowed_gets_the_refusal_and_the_team_server_answers(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, setting: dict[str, str]
) -> None:
    discord_stub.guilds[OTHER_GUILD_ID] = "Other team server"
    bot = await start_bot(**setting)
    if "ALERT_CHANNEL_ID" in setting:  # the first expiry check reads useapi.net: let it end
        await bot.wait_for_log("expiry check: ")
    upstream.add_account("team", sample_features())
    await refused_everything(discord_stub, upstream, "server", OTHER_GUILD_ID)
    await refused_everything(discord_stub, upstream, "dm", GUILD_ID)
    await answered(discord_stub, GUILD_ID)
    named = f"'Other team server' ({OTHER_GUILD_ID}), which this bot does not serve"
    await bot.wait_for_log("ready as")
    log = bot.log()
    assert log.count(named) == 1, "the server is named once, at start or when it first tries"
    assert f"ALLOWED_GUILD_IDS={GUILD_ID},{OTHER_GUILD_ID} and restart" in log


async def test_allowed_servers_replace_the_derived_ones(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    discord_stub.guilds[OTHER_GUILD_ID] = "Second server"
    await start_bot(ALLOWED_GUILD_IDS=str(OTHER_GUILD_ID), DISCORD_GUILD_ID=str(GUILD_ID))
    upstream.add_account("team", sample_features())
    await refused_everything(discord_stub, upstream, "server", GUILD_ID)
    await answered(discord_stub, OTHER_GUILD_ID)


async def test_a_server_the_bot_is_added_to_is_named_in_the_log_and_in_alerts_status(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    bot = await start_bot(ALLOWED_GUILD_IDS=str(GUILD_ID))
    await bot.wait_for_log("ready as")
    assert "does not serve" not in bot.log()
    await discord_stub.join(OTHER_GUILD_ID, "Stranger's <@&900000000000000777> server")
    name = "Stranger's <@&900000000000000777> server"
    await bot.wait_for_log(f"server {name!r} ({OTHER_GUILD_ID}), which this bot does not serve")
    assert f"ALLOWED_GUILD_IDS={GUILD_ID},{OTHER_GUILD_ID} and restart" in bot.log()
    status = await command(discord_stub, "alerts", subcommand="status")
    shown = str(embeds_of(status))
    assert "<@&900000000000000777>" not in shown, "a server's name cannot ping"
    assert str(OTHER_GUILD_ID) in shown and "Stranger" in shown
    refused = await discord_stub.inject("alerts", {}, subcommand="status", guild_id=OTHER_GUILD_ID)
    await discord_stub.wait_for(lambda: refused.callback())
    assert refused.callback()["data"]["content"] == REFUSAL  # type: ignore[index]


@pytest.mark.parametrize(
    ("public", "setting", "warned"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"ALLOWED_GUILD_IDS": str(GUILD_ID)}, False),
        (True, {"DISCORD_GUILD_ID": str(GUILD_ID)}, False),
        (True, {"ALERT_CHANNEL_ID": str(CHANNEL_ID)}, False),
    ],
)
async def test_the_public_bot_warning_only_when_every_server_is_served_and_anyone_can_add_it(
    start_bot: StartBot,
    discord_stub: DiscordStub,
    public: bool,
    setting: dict[str, str],
    warned: bool,
) -> None:
    discord_stub.bot_public = public
    bot = await start_bot(**setting)
    await command(discord_stub, "alerts", subcommand="status")  # the start-up is over by now
    log = bot.log()
    assert (PUBLIC_WARNING in log) is warned, log
    if warned:
        assert log.count(PUBLIC_WARNING) == 1
        assert "ALLOWED_GUILD_IDS" in log and "'Public Bot'" in log
