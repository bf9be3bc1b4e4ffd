"""`/follow` and `/unfollow`: a member gets an account's alerts by DM as well; and, after any
command of theirs, the one line saying their closed DMs stopped them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from alerts.chat.direct import closed_line
from alerts.domain.follows import Follows
from alerts.render.names import subject
from alerts.render.status import unknown_account
from chat import replies
from chat.accounts import AccountDirectory
from chat.lookup import account_choices
from state import StoreUnavailable

log = logging.getLogger(__name__)


class Follow(commands.Cog):
    def __init__(self, follows: Follows, accounts: AccountDirectory) -> None:
        self.follows, self.accounts = follows, accounts

    @app_commands.command(name="follow")
    @app_commands.autocomplete(account=account_choices)
    @app_commands.describe(account="useapi.net MiniMax account whose alerts you want by DM")
    async def follow(self, interaction: discord.Interaction, account: str) -> None:
        """Get an account's alerts by direct message too (the alert channel still gets them)."""
        await replies.defer(interaction, public=False)
        if (unknown := await self._unknown(account)) is not None:
            await replies.say(interaction, unknown)
            return
        guild_id = interaction.guild_id or 0  # the access check admits servers only
        now = datetime.now(UTC)
        if await self.follows.follow(account, interaction.user.id, guild_id, now):
            line = (
                f"You will get the alerts of {subject(account, 60)} by DM too (the alert "
                "channel still gets them); /unfollow stops it."
            )
        else:
            line = f"You already get the alerts of {subject(account, 60)} by DM."
        await replies.say(interaction, line)

    @app_commands.command(name="unfollow")
    @app_commands.autocomplete(account=account_choices)
    @app_commands.describe(account="useapi.net MiniMax account whose alerts you get by DM")
    async def unfollow(self, interaction: discord.Interaction, account: str) -> None:
        """Stop getting an account's alerts by direct message."""
        await replies.defer(interaction, public=False)
        if await self.follows.unfollow(account, interaction.user.id):
            line = f"You will no longer get the alerts of {subject(account, 60)} by DM."
        else:
            line = f"You do not follow {subject(account, 60)}."
        await replies.say(interaction, line)

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: app_commands.Command[Any, ..., Any]
    ) -> None:
        """After any command: tell the member, once, of the follows their closed DMs ended."""
        try:
            accounts = list(await self.follows.closed_told(interaction.user.id))
        except StoreUnavailable as exc:
            log.info("cannot tell user %s of closed DMs now: %s", interaction.user.id, exc)
            return
        if not accounts:
            return
        try:
            await interaction.followup.send(
                closed_line(accounts),
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException as exc:
            log.warning("could not tell user %s of closed DMs: %s", interaction.user.id, exc)

    async def _unknown(self, account: str) -> str | None:
        """What to say of an account the bot does not watch (None: it does, or cannot tell
        because no account is configured and the listing cannot be read)."""
        names = await self.accounts.watched()
        if not names or account in names:
            return None
        return unknown_account(account, names)
