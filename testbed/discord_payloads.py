"""What Discord sends and answers, as JSON: the ids of the stand-in's world, users, channels,
servers, where an interaction comes from, slash commands, autocomplete and component presses.
Pure builders, shared by the Discord stand-in and the tests."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, TypedDict, Unpack

APP_ID = 900000000000000001
BOT_USER_ID = 900000000000000001
GUILD_ID = 900000000000000100
CHANNEL_ID = 900000000000000200
OTHER_GUILD_ID = 900000000000000101  # a second server the bot is in (see DiscordStub.guilds)
OTHER_CHANNEL_ID = 900000000000000201  # its one channel
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
    """Each server of the stand-in has one text channel."""
    return {GUILD_ID: CHANNEL_ID, OTHER_GUILD_ID: OTHER_CHANNEL_ID}.get(guild_id, guild_id + 100)


def channel_payload(guild_id: int = GUILD_ID) -> dict[str, Any]:
    return {
        "id": str(channel_of(guild_id)),
        "type": 0,
        "guild_id": str(guild_id),
        "name": "general",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
    }


ROLES = {900000000000000777: "minimax-team", 900000000000000888: "alert-managers"}
"""Roles of every server of the stand-in besides @everyone (tests ping and check them)."""


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


def guild_payload(guild_id: int = GUILD_ID, name: str = "Test server") -> dict[str, Any]:
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "owner_id": str(USER_ID),
        "roles": [
            _role(guild_id, "@everyone", 0),
            *(_role(r, n, i) for i, (r, n) in enumerate(ROLES.items(), start=1)),
        ],
        "emojis": [],
        "stickers": [],
        "features": [],
        "channels": [channel_payload(guild_id)],
        "threads": [],
        "members": [],
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


def command_payload(
    name: str,
    options: dict[str, Any] | None = None,
    *,
    command_id: str | None = None,
    focused: str | None = None,
    subcommand: str | None = None,
    where: str = "server",
    guild_id: int = GUILD_ID,
) -> dict[str, Any]:
    """A slash command (or its autocomplete, with `focused`) as Discord sends it, from
    `where` (see `place_payload`)."""
    kinds = {bool: 5, int: 4, float: 10, str: 3}
    opts = [
        {
            "name": k,
            "type": kinds[type(v)],
            "value": v,
            **({"focused": True} if k == focused else {}),
        }
        for k, v in (options or {}).items()
    ]
    if subcommand:
        opts = [{"name": subcommand, "type": 1, "options": opts}]
    payload = place_payload(where, guild_id)
    data = {"id": command_id or snowflake(), "name": name, "type": 1, "options": opts}
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
