"""Who may see and do what: the allowed servers, and the one check every button and menu
passes (Discord applies no command permission to them)."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from app.access import NOT_A_MANAGER, REFUSAL, Access, Place, Where
from chat.controls import Guarded
from settings import load_settings
from testbed.discord_payloads import (
    ALL_PERMISSIONS,
    CHANNEL_ID,
    GUILD_ID,
    OTHER_GUILD_ID,
    STRANGER_GUILD_ID,
    component_payload,
    message_payload,
)
from testbed.discord_stub import DiscordStub
from tests.support.bots import BotFactory

MANAGE_SERVER = 1 << 5
GOOD = {"DISCORD_TOKEN": "d", "USEAPI_TOKEN": "u"}


def access(channels: dict[int, int] | None = None, **env: str) -> Access:
    """The access rules of these settings; `channels` maps a channel to its server."""
    known = channels if channels is not None else {}
    return Access(load_settings({**GOOD, **env}), known.get)


def test_with_nothing_set_every_server_is_served_but_never_a_dm_or_a_user_install() -> None:
    rules = access()
    assert rules.open and rules.servers() is None
    assert rules.where_refused(Place(123, True, 1)) is None
    assert rules.where_refused(Place(None, False, 1)) is Where.DIRECT
    assert rules.where_refused(Place(123, False, 1)) is Where.USER_INSTALL


def test_the_servers_of_the_guild_setting_and_of_the_alert_channel() -> None:
    rules = access({CHANNEL_ID: GUILD_ID}, DISCORD_GUILD_ID="5", ALERT_CHANNEL_ID=str(CHANNEL_ID))
    assert not rules.open
    assert rules.servers() == {5, GUILD_ID}
    assert rules.where_refused(Place(OTHER_GUILD_ID, True, 1)) is Where.OTHER_SERVER
    assert rules.fix(OTHER_GUILD_ID) == (
        f"to serve it, set ALLOWED_GUILD_IDS=5,{GUILD_ID},{OTHER_GUILD_ID} and restart the bot"
    )


def test_an_alert_channel_the_bot_cannot_see_allows_no_server_until_it_can() -> None:
    channels: dict[int, int] = {}
    rules = access(channels, ALERT_CHANNEL_ID=str(CHANNEL_ID))
    assert not rules.open and rules.servers() == set(), "unknown is not everywhere"
    channels[CHANNEL_ID] = GUILD_ID  # the bot's cache has it now
    assert rules.servers() == {GUILD_ID}


def test_allowed_guild_ids_replace_the_derived_servers() -> None:
    rules = access(
        {CHANNEL_ID: GUILD_ID},
        ALLOWED_GUILD_IDS="7,8",
        DISCORD_GUILD_ID=str(GUILD_ID),
        ALERT_CHANNEL_ID=str(CHANNEL_ID),
    )
    assert rules.servers() == {7, 8}
    assert rules.where_refused(Place(GUILD_ID, True, 1)) is Where.OTHER_SERVER


def test_alerts_in_a_server_left_out_of_allowed_guild_ids_are_warned_about() -> None:
    left_out = access(
        {CHANNEL_ID: GUILD_ID}, ALLOWED_GUILD_IDS="7", ALERT_CHANNEL_ID=str(CHANNEL_ID)
    )
    assert f"add {GUILD_ID} to ALLOWED_GUILD_IDS" in (left_out.alert_channel_left_out() or "")
    served = access({CHANNEL_ID: GUILD_ID}, ALERT_CHANNEL_ID=str(CHANNEL_ID))
    assert served.alert_channel_left_out() is None


class Controls(Guarded, discord.ui.View):
    """A message's controls as the coming alert buttons will be: one that changes state, one
    that only shows something."""

    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.pressed: list[str] = []

    @discord.ui.button(label="Snooze", custom_id="test:change")
    async def change(self, interaction: discord.Interaction, _: discord.ui.Button[Any]) -> None:
        self.pressed.append("change")
        await interaction.response.send_message("changed", ephemeral=True)


class ReadOnly(Controls):
    changes_state = False


async def press(bot: discord.Client, stub: DiscordStub, **place: Any) -> str:
    """Press the button through discord.py's own gateway handler; what the presser sees."""
    payload = component_payload("test:change", message_payload({}), **place)
    item = stub.track(payload)
    bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    callback = await stub.wait_for(item.callback)
    return str(callback["data"]["content"])


@pytest.mark.parametrize(
    ("place", "seen"),
    [
        ({"permissions": ALL_PERMISSIONS | MANAGE_SERVER}, "changed"),
        ({"permissions": ALL_PERMISSIONS}, NOT_A_MANAGER),
        ({"where": "dm"}, REFUSAL),
        ({"where": "user", "guild_id": STRANGER_GUILD_ID}, REFUSAL),
        ({"where": "user", "permissions": ALL_PERMISSIONS | MANAGE_SERVER}, REFUSAL),
        ({"guild_id": OTHER_GUILD_ID, "permissions": ALL_PERMISSIONS | MANAGE_SERVER}, REFUSAL),
    ],
    ids=["manager", "member", "dm", "user install", "user install here", "other server"],
)
async def test_a_control_that_changes_state_is_for_managers_of_the_team_server_only(
    make_bot: BotFactory, discord_stub: DiscordStub, place: dict[str, Any], seen: str
) -> None:
    bot = await make_bot(ALLOWED_GUILD_IDS=str(GUILD_ID))
    view = Controls()
    bot.add_view(view)
    assert await press(bot, discord_stub, **place) == seen
    assert view.pressed == (["change"] if seen == "changed" else [])


async def test_a_read_only_control_is_for_every_member_of_the_team_server(
    make_bot: BotFactory, discord_stub: DiscordStub
) -> None:
    bot = await make_bot(ALLOWED_GUILD_IDS=str(GUILD_ID))
    view = ReadOnly()
    bot.add_view(view)
    assert await press(bot, discord_stub, permissions=ALL_PERMISSIONS) == "changed"
    assert await press(bot, discord_stub, where="dm") == REFUSAL
    assert view.pressed == ["change"]
