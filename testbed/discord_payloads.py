"""What Discord sends and answers, as JSON: the ids of the stand-in's world, users, channels,
servers, where an interaction comes from, slash commands, autocomplete and component presses.
Pure builders, shared by the Discord stand-in and the tests."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

APP_ID = 900000000000000001
BOT_USER_ID = 900000000000000001
GUILD_ID = 900000000000000100
CHANNEL_ID = 900000000000000200
OTHER_GUILD_ID = 900000000000000101  # a second server the bot is in (see DiscordStub.guilds)
OTHER_CHANNEL_ID = 900000000000000201  # its one channel
# More text channels of GUILD_ID. Not 202..209: channel_of gives a server 1xx the channel 2xx.
ROUTED_CHANNEL_ID = 900000000000000210  # "project-b": the bot may post there, as in general
MUTED_CHANNEL_ID = 900000000000000211  # "read-only": the bot sees it, an overwrite denies it Send
HIDDEN_CHANNEL_ID = 900000000000000212  # "secret": in the server, but the bot cannot see it
STRANGER_GUILD_ID = 900000000000000102  # a server the bot is not in (a user install's)
DM_CHANNEL_ID = 900000000000000299
USER_ID = 900000000000000300
API = "/api/v10"
EPHEMERAL = 64  # the message flag of an answer only its user sees

_ids = itertools.count(1_000_000_000_000_000_000)


def snowflake() -> str:
    return str(next(_ids))


def user_payload(user_id: int = USER_ID, name: str = "tester", bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
    }


def channel_of(guild_id: int) -> int:
    """The server's main text channel (the one interactions come from)."""
    return {GUILD_ID: CHANNEL_ID, OTHER_GUILD_ID: OTHER_CHANNEL_ID}.get(guild_id, guild_id + 100)


def channels_of(guild_id: int) -> list[int]:
    """The text channels of a server that the bot sees (GUILD_CREATE sends them): the team's
    server has three, every other server its main one."""
    if guild_id == GUILD_ID:
        return [CHANNEL_ID, ROUTED_CHANNEL_ID, MUTED_CHANNEL_ID]
    return [channel_of(guild_id)]


CHANNEL_NAMES = {
    ROUTED_CHANNEL_ID: "project-b",
    MUTED_CHANNEL_ID: "read-only",
    HIDDEN_CHANNEL_ID: "secret",
}
"""The names of the team server's channels besides the main ones, which are all "general"."""


def channel_name(channel_id: int) -> str:
    return CHANNEL_NAMES.get(channel_id, "general")


VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_EXTERNAL_EMOJIS = 1 << 18
BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
)
"""What the bot's own role grants in every server (@everyone grants more: ALL_PERMISSIONS)."""


def _overwrites(channel_id: int) -> list[dict[str, Any]]:
    """read-only denies the bot's member (type 1) Send Messages: a member overwrite is applied
    after @everyone's and the roles', so the bot may read there but not post."""
    if channel_id == MUTED_CHANNEL_ID:
        return [{"id": str(BOT_USER_ID), "type": 1, "allow": "0", "deny": str(SEND_MESSAGES)}]
    return []


def channel_payload(guild_id: int = GUILD_ID, channel_id: int | None = None) -> dict[str, Any]:
    """A text channel of `guild_id` as Discord sends it: its main one, or `channel_id`."""
    channel_id = channel_of(guild_id) if channel_id is None else channel_id
    here = channels_of(guild_id)
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": channel_name(channel_id),
        "position": here.index(channel_id) if channel_id in here else len(here),
        "permission_overwrites": _overwrites(channel_id),
        "nsfw": False,
        "parent_id": None,
    }


ROLES = {900000000000000777: "minimax-team", 900000000000000888: "alert-managers"}
"""Roles of every server of the stand-in besides @everyone (tests ping and check them)."""


BOT_ROLE_ID = 900000000000000666
"""The bot's own managed role ("minimax-bot", BOT_PERMISSIONS) in every server, as ROLES are."""


def _role(role_id: int, name: str, position: int) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "permissions": "0" if position else str(ALL_PERMISSIONS),
        "position": position,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def _bot_role() -> dict[str, Any]:
    return {
        **_role(BOT_ROLE_ID, "minimax-bot", len(ROLES) + 1),
        "permissions": str(BOT_PERMISSIONS),
        "managed": True,
        "tags": {"bot_id": str(BOT_USER_ID)},
    }


def role_payload(role_id: int, guild_id: int = GUILD_ID) -> dict[str, Any]:
    """A role of `guild_id` as Discord sends it: @everyone (the server's id), one of ROLES, the
    bot's own, or else a plain role without permissions named after its id."""
    if role_id == guild_id:
        return _role(guild_id, "@everyone", 0)
    if role_id == BOT_ROLE_ID:
        return _bot_role()
    for position, (known, name) in enumerate(ROLES.items(), start=1):
        if known == role_id:
            return _role(role_id, name, position)
    return _role(role_id, f"role-{role_id}", 1)


def bot_member_payload() -> dict[str, Any]:
    """The bot as a member of a server (guild.me): it has its own managed role."""
    return {
        "user": user_payload(BOT_USER_ID, "minimax-bot", bot=True),
        "roles": [str(BOT_ROLE_ID)],
        "joined_at": "2026-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
    }


def guild_payload(guild_id: int = GUILD_ID, name: str = "Test server") -> dict[str, Any]:
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "owner_id": str(USER_ID),
        "roles": [role_payload(r, guild_id) for r in (guild_id, *ROLES, BOT_ROLE_ID)],
        "emojis": [],
        "stickers": [],
        "features": [],
        "channels": [channel_payload(guild_id, c) for c in channels_of(guild_id)],
        "threads": [],
        "members": [bot_member_payload()],
        "voice_states": [],
        "presences": [],
        "member_count": 2,
        "large": False,
        "unavailable": False,
        "joined_at": "2026-01-01T00:00:00+00:00",
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "system_channel_flags": 0,
        "premium_tier": 0,
        "nsfw_level": 0,
        "preferred_locale": "en-US",
    }


ALL_PERMISSIONS = 2248473465835073  # what the stand-in's members may do: not Manage Server (1 << 5)
MANAGER_PERMISSIONS = ALL_PERMISSIONS | (1 << 5)  # a member who manages the server


class Presser(TypedDict, total=False):
    """Who presses a component, and where (the keywords of `component_payload`)."""

    where: str
    guild_id: int
    permissions: int
    roles: Sequence[int]
    user_id: int


def place_payload(
    where: str = "server",
    guild_id: int = GUILD_ID,
    permissions: int = ALL_PERMISSIONS,
    roles: Sequence[int] = (),
    user_id: int = USER_ID,
) -> dict[str, Any]:
    """The fields of an interaction that say where it comes from and who sent it (`user_id`):
    "server" (a server that installed the bot: `guild_id`, a member with `permissions` and
    `roles`), "dm" (a direct message with the bot) or "user" (a user install, used in
    `guild_id`)."""
    common: dict[str, Any] = {
        "id": snowflake(),
        "application_id": str(APP_ID),
        "token": f"itoken-{snowflake()}",
        "version": 1,
        "app_permissions": str(ALL_PERMISSIONS),
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": 26214400,
    }
    if where == "dm":
        return {
            **common,
            "channel_id": str(DM_CHANNEL_ID),
            "channel": {"id": str(DM_CHANNEL_ID), "type": 1, "recipients": [user_payload(user_id)]},
            "user": user_payload(user_id),
            "authorizing_integration_owners": {"0": "0"},
            "context": 1,
        }
    owners = {"0": str(guild_id)} if where == "server" else {"1": str(USER_ID)}
    return {
        **common,
        "guild_id": str(guild_id),
        "channel_id": str(channel_of(guild_id)),
        "channel": channel_payload(guild_id),
        "member": {
            "user": user_payload(user_id),
            "roles": [str(r) for r in roles],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": str(permissions),
        },
        "guild_locale": "en-US",
        "authorizing_integration_owners": owners,
        "context": 0,
    }


@dataclass(frozen=True)
class ChannelRef:
    """A channel given to a slash command's channel option (type 7). Discord resolves it for
    the invoking member, even a channel the bot cannot see (HIDDEN_CHANNEL_ID).

    Which annotation gets it to the command's callback (tests/test_stub.py shows it):
    `app_commands.AppCommandChannel` gets every channel as Discord resolved it (its name and
    the *member's* permissions); `.resolve()` gives the bot's cached TextChannel, whose
    `permissions_for(channel.guild.me)` says what the bot may do there, or None for a channel
    the bot cannot see. `discord.TextChannel` (or `discord.TextChannel | None`) gets only a
    channel in the bot's cache: for the hidden one the callback never runs, the tree's
    on_error gets a TransformerError. A command that must answer about the hidden channel
    takes `app_commands.AppCommandChannel`."""

    id: int


@dataclass(frozen=True)
class RoleRef:
    """A role given to a slash command's role option (type 8)."""

    id: int


def _option(name: str, value: Any, focused: str | None) -> dict[str, Any]:
    kinds = {bool: 5, int: 4, float: 10, str: 3, ChannelRef: 7, RoleRef: 8}
    plain = str(value.id) if isinstance(value, ChannelRef | RoleRef) else value
    return {
        "name": name,
        "type": kinds[type(value)],
        "value": plain,
        **({"focused": True} if name == focused else {}),
    }


def _resolved(values: Sequence[Any], place: dict[str, Any]) -> dict[str, Any]:
    """The `data.resolved` Discord sends with channel and role options: a partial channel with
    what the invoking member may do there, and each role's payload."""
    guild = place.get("guild_id")
    member = place.get("member") or {}
    resolved: dict[str, dict[str, Any]] = {}
    for value in values:
        if isinstance(value, ChannelRef):
            resolved.setdefault("channels", {})[str(value.id)] = {
                "id": str(value.id),
                "name": channel_name(value.id),
                "type": 0,
                "permissions": member.get("permissions", str(ALL_PERMISSIONS)),
                "parent_id": None,
                **({"guild_id": guild} if guild else {}),
            }
        elif isinstance(value, RoleRef):
            role = role_payload(value.id, int(guild) if guild else GUILD_ID)
            resolved.setdefault("roles", {})[str(value.id)] = role
    return resolved


def command_payload(
    name: str,
    options: dict[str, Any] | None = None,
    *,
    command_id: str | None = None,
    focused: str | None = None,
    subcommand: str | None = None,
    where: str = "server",
    guild_id: int = GUILD_ID,
    permissions: int = ALL_PERMISSIONS,
) -> dict[str, Any]:
    """A slash command (or its autocomplete, with `focused`) as Discord sends it, from
    `where` by a member with `permissions` (see `place_payload`). An option's value is a
    bool, int, float or str, a `ChannelRef` (a channel option: Discord resolves the channel,
    even one the bot cannot see) or a `RoleRef` (a role option, with the role's payload)."""
    options = options or {}
    opts = [_option(k, v, focused) for k, v in options.items()]
    if subcommand:
        opts = [{"name": subcommand, "type": 1, "options": opts}]
    payload = place_payload(where, guild_id, permissions)
    data: dict[str, Any] = {
        "id": command_id or snowflake(),
        "name": name,
        "type": 1,
        "options": opts,
    }
    resolved = _resolved(list(options.values()), payload)
    if resolved:
        data["resolved"] = resolved
    if "guild_id" in payload:
        data["guild_id"] = payload["guild_id"]
    return {**payload, "type": 4 if focused else 2, "data": data}


def component_payload(
    custom_id: str,
    message: dict[str, Any],
    *,
    values: list[str] | None = None,
    **who: Unpack[Presser],
) -> dict[str, Any]:
    """A press on a button of `message` (or a choice in its string select menu, with
    `values`), as Discord sends it, by `who` (see `place_payload`)."""
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": 2}
    if values is not None:
        data.update(component_type=3, values=values)
    return {
        **place_payload(**who),
        "type": 3,
        "data": data,
        "message": message,
    }


def message_payload(
    body: dict[str, Any] | None,
    *,
    flags: int = 0,
    interaction: bool = True,
    channel_id: int = CHANNEL_ID,
    guild_id: int = GUILD_ID,
) -> dict[str, Any]:
    """The message Discord makes of what the bot sent (an interaction's answer, or with
    `interaction=False` a message of its own in `channel_id` of `guild_id`), with the
    components it sent."""
    body = body or {}
    return {
        "id": snowflake(),
        "channel_id": str(channel_id),
        "guild_id": str(guild_id),
        "type": 20 if interaction else 0,
        "content": body.get("content") or "",
        "author": user_payload(BOT_USER_ID, "minimax-bot", bot=True),
        "embeds": body.get("embeds") or [],
        "attachments": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": "2026-01-01T00:00:00+00:00",
        "edited_timestamp": None,
        "flags": body.get("flags", flags) or 0,
        "components": body.get("components") or [],
        "application_id": str(APP_ID),
        "webhook_id": str(APP_ID),
    }
