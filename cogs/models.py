"""`/models`: every model the account can use, with cost and limits."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from chat import replies
from chat.accounts import AccountDirectory
from chat.lookup import account_choices, command_target, load_features
from credits.models import models_embeds
from minimax_api import Features
from minimax_api.problems import Problem


class Models(commands.Cog):
    def __init__(self, accounts: AccountDirectory) -> None:
        self.accounts = accounts

    @app_commands.command(name="models")
    @app_commands.autocomplete(account=account_choices)
    @app_commands.describe(
        account="useapi.net MiniMax account (default: the configured one)",
        public="Show the answer to everyone in the channel (default: only you)",
    )
    async def models(
        self, interaction: discord.Interaction, account: str | None = None, public: bool = False
    ) -> None:
        """List the MiniMax models, what each generation costs, and their limits."""
        work = self._features(account)
        account, features = await replies.deferred(interaction, work, public=public)
        if isinstance(features, Problem):
            await replies.send_problem(interaction, features)
            return
        embeds = models_embeds(features.models, account=account, fetched_at=features.fetched_at)
        await replies.send_embeds(interaction, embeds, public=public)

    async def _features(self, option: str | None) -> tuple[str | None, Features | Problem]:
        """The account the command is about and its features, or the Problem instead."""
        found = await command_target(self.accounts, option, several=False)
        if isinstance(found, Problem):
            return None, found
        return found.account, await load_features(self.accounts, found.account)
