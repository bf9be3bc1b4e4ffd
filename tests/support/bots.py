"""Driving the bot under test: in this process through discord.py's own command tree
(`run_command`), or as a child process through the Discord stand-in's gateway (`command`,
`autocomplete`); and reading what the user was shown."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands

from app.client import MiniMaxBot
from testbed.discord_payloads import ALL_PERMISSIONS, GUILD_ID
from testbed.discord_stub import DiscordStub, Injected
from testbed.process import BotProcess

if TYPE_CHECKING:  # only a type: imported on its own at run time it is a circular import
    from discord.types.interactions import Interaction as InteractionPayload

SLASH_COMMANDS = {
    "alerts",
    "credits",
    "follow",
    "models",
    "unfollow",
    "usage",
}  # what the bot registers

BotFactory = Callable[..., Awaitable[MiniMaxBot]]  # the `make_bot` fixture
StartBot = Callable[..., Awaitable[BotProcess]]  # the `start_bot` fixture


async def run_command(
    bot: MiniMaxBot,
    stub: DiscordStub,
    name: str,
    focused: str | None = None,
    subcommand: str | None = None,
    permissions: int | None = None,
    **options: Any,
) -> Injected:
    """Dispatch an interaction through discord.py's own command tree and wait for it to end."""
    how: dict[str, Any] = {"subcommand": subcommand} if subcommand else {}
    if permissions is not None:
        how["permissions"] = permissions
    payload = stub.interaction_payload(name, options, focused=focused, **how)
    item = stub.track(payload)
    data = cast("InteractionPayload", payload)  # the stand-in builds it as Discord sends it
    interaction = discord.Interaction(data=data, state=bot._connection)
    try:
        await bot.tree._call(interaction)
    except app_commands.AppCommandError as exc:
        await bot.tree._dispatch_error(interaction, exc)
    return item


async def command(
    stub: DiscordStub,
    name: str,
    *,
    within: float = 20.0,
    subcommand: str | None = None,
    guild_id: int = GUILD_ID,
    permissions: int = ALL_PERMISSIONS,
    **options: Any,
) -> Injected:
    """Inject a slash command in a server (by a member with `permissions`) and wait for its
    final answer."""
    item = await stub.inject(
        name, options, subcommand=subcommand, guild_id=guild_id, permissions=permissions
    )
    await stub.wait_for(lambda: final_messages(item), within=within)
    return item


async def autocomplete(stub: DiscordStub, name: str, focused: str, **options: Any) -> list[str]:
    """Inject an autocomplete request; the values of the choices the bot offered."""
    item = await stub.inject(name, options, focused=focused)
    call = await stub.wait_for(
        lambda: next((c for c in item.calls if c.path.endswith("/callback")), None)
    )
    return [c["value"] for c in call.body["data"]["choices"]]


async def reply_of(stub: DiscordStub, item: Injected) -> dict[str, Any]:
    """What the user of a command sees in the end: its one message (content, embeds,
    flags), whether the command answered at once or deferred first."""
    callback = await stub.wait_for(item.callback)
    if callback["type"] != 5:
        return callback["data"]
    [final] = await stub.wait_for(item.final_messages)
    return {**final, "flags": callback["data"]["flags"]}


def controls(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A channel message's buttons and menu by label (the menu as "menu")."""
    found = {}
    for row in message.get("components") or []:
        for c in row.get("components") or []:
            found["menu" if c["type"] == 3 else c["label"]] = c
    return found


def final_messages(item: Injected) -> list[dict[str, Any]]:
    return item.final_messages()


def embeds_of(item: Injected) -> list[dict[str, Any]]:
    return item.embeds()


def text_of(item: Injected) -> str:
    """Every embed of the answer as one string, to look for a phrase in."""
    return str(embeds_of(item))
