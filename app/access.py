"""Who may see the team's credits: the servers the bot serves, checked once for every
interaction (commands, autocomplete, buttons, menus) before any cog code runs.

A team's balances, account ids and forecast are private, and Discord's own command
permissions only work inside a server the team controls: they cannot close a direct
message, a stranger's server the bot was added to, or a user install. So the bot knows
where it serves and refuses everywhere else.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

import discord

from chat.replies import say
from settings import Settings

log = logging.getLogger(__name__)

REFUSAL = "This bot serves its own team's server only."
NOT_A_MANAGER = "Only members with the Manage Server permission may do this."


class Where(enum.Enum):
    """Why an interaction comes from somewhere the bot does not serve."""

    DIRECT = "a direct message"
    USER_INSTALL = "a user install"
    OTHER_SERVER = "a server that is not allowed"


@dataclass(frozen=True)
class Place:
    """Where an interaction comes from, as far as who may see the team's data goes."""

    guild_id: int | None
    guild_install: bool  # the server's own installation of the bot authorised it
    user_id: int
    guild_name: str | None = None  # when the bot is in that server

    @classmethod
    def of(cls, interaction: discord.Interaction) -> Place:
        guild = interaction.client.get_guild(interaction.guild_id or 0)
        return cls(
            interaction.guild_id,
            interaction.is_guild_integration(),
            interaction.user.id,
            guild.name if guild is not None else None,
        )


class Access:
    """The allowed servers: `ALLOWED_GUILD_IDS`; when that is empty, the servers of
    `DISCORD_GUILD_ID` and of `ALERT_CHANNEL_ID`; when none of the three is set, every
    server. Direct messages and user installs are never served."""

    def __init__(self, settings: Settings, channel_guild: Callable[[int], int | None]) -> None:
        self.manager_role = settings.alert_manager_role_id
        self._any_alert_channel = settings.alert_channel_id
        self._explicit = settings.allowed_guild_ids
        self._guild_id = settings.guild_id
        self._alert_channel_id = settings.alert_channel_id if not self._explicit else None
        self._channel_guild = channel_guild  # the server a channel is in, when the bot sees it
        self._alert_guild: int | None = None
        self._said: set[tuple[Where, int]] = set()

    @property
    def open(self) -> bool:
        """Every server is served: nothing says which is the team's."""
        return not (self._explicit or self._guild_id or self._alert_channel_id)

    def servers(self) -> frozenset[int] | None:
        """The allowed servers; None means every server."""
        if self.open:
            return None
        if self._explicit:
            return frozenset(self._explicit)
        found = {self._guild_id} if self._guild_id else set()
        if self._alert_channel_id and self._alert_guild is None:
            self._alert_guild = self._channel_guild(self._alert_channel_id)
        if self._alert_guild:
            found.add(self._alert_guild)
        return frozenset(found)

    def serves(self, guild_id: int) -> bool:
        servers = self.servers()
        return servers is None or guild_id in servers

    def where_refused(self, place: Place) -> Where | None:
        """None when the bot serves `place`; else why not."""
        if place.guild_id is None:
            return Where.DIRECT
        if not place.guild_install:
            return Where.USER_INSTALL
        if not self.serves(place.guild_id):
            return Where.OTHER_SERVER
        return None

    def may_manage(self, interaction: discord.Interaction) -> bool:
        """Members with Manage Server, or with ALERT_MANAGER_ROLE_ID when it is set."""
        if interaction.permissions.manage_guild:
            return True
        roles = getattr(interaction.user, "roles", [])
        return self.manager_role is not None and any(r.id == self.manager_role for r in roles)

    def who_may_manage(self) -> str:
        """The line a member without the permission gets (the role is named, not pinged)."""
        if self.manager_role is None:
            return NOT_A_MANAGER
        return (
            f"Only members with the Manage Server permission or the <@&{self.manager_role}> "
            "role may do this."
        )

    def fix(self, guild_id: int) -> str:
        """How an operator allows a server: the whole new value of ALLOWED_GUILD_IDS."""
        servers = sorted(self.servers() or ())
        value = ",".join(str(g) for g in [*servers, guild_id])
        return f"to serve it, set ALLOWED_GUILD_IDS={value} and restart the bot"

    def note_refusal(self, place: Place, where: Where, what: str) -> None:
        """Log once per server (or user) that tried, and how to allow it."""
        subject = place.guild_id if where is Where.OTHER_SERVER else place.user_id
        if (where, subject or 0) in self._said:
            return
        self._said.add((where, subject or 0))
        if where is Where.OTHER_SERVER:
            assert place.guild_id is not None
            log.warning(
                "refused %s in server %r (%s), which this bot does not serve; %s",
                what,
                place.guild_name or "?",
                place.guild_id,
                self.fix(place.guild_id),
            )
        elif where is Where.DIRECT:
            log.warning(
                "refused %s in a direct message from user %s: the bot answers in its team's "
                "server only (nothing to allow)",
                what,
                place.user_id,
            )
        else:
            log.warning(
                "refused %s from user %s through a user install%s: the bot answers only where "
                "a server installed it (invite it to that server instead)",
                what,
                place.user_id,
                f" in server {place.guild_id}" if place.guild_id else "",
            )

    def alert_channel_left_out(self) -> str | None:
        """A warning when ALLOWED_GUILD_IDS leaves out the alert channel's server: alerts
        would post there while their buttons are refused."""
        channel = self._any_alert_channel
        guild = self._channel_guild(channel) if channel else None
        if guild is None or self.serves(guild):
            return None
        return (
            f"ALERT_CHANNEL_ID={channel} is in server {guild}, which ALLOWED_GUILD_IDS leaves "
            f"out: the buttons of its alerts are refused there; add {guild} to "
            "ALLOWED_GUILD_IDS or pick a channel in an allowed server"
        )

    def note_server(self, guild: discord.Guild) -> None:
        """Say once that the bot is in a server it does not serve (it stays, answering
        nothing there, in case the operator is about to allow it)."""
        if self.serves(guild.id) or (Where.OTHER_SERVER, guild.id) in self._said:
            return
        self._said.add((Where.OTHER_SERVER, guild.id))
        log.warning(
            "the bot is in server %r (%s), which this bot does not serve: it answers nothing "
            "there; %s, or remove the bot from that server",
            guild.name,
            guild.id,
            self.fix(guild.id),
        )


def describe(interaction: discord.Interaction) -> str:
    """What was tried, for the log: `/credits`, autocomplete of `/credits`, a button."""
    if interaction.command is not None:
        name = f"/{interaction.command.qualified_name}"
        if interaction.type is discord.InteractionType.autocomplete:
            return f"autocomplete of {name}"
        return name
    if interaction.type is discord.InteractionType.component:
        return "a button or menu"
    return "an interaction"


async def refuse(interaction: discord.Interaction, line: str) -> None:
    """One short line only the user sees (an empty list for autocomplete), and nothing more."""
    if interaction.type is discord.InteractionType.autocomplete:
        await interaction.response.autocomplete([])
    else:
        await say(interaction, line)
