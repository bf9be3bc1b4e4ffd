"""`/credits`: balances, plan, credit batches and their expiry."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from chat import replies
from chat.accounts import AccountDirectory
from chat.lookup import account_choices, command_target, load_each, load_features
from credits.embeds import credits_embed, summary_embeds
from minimax_api import AccountInfo, Features
from minimax_api.problems import Problem
from settings import Settings
from state import StoreUnavailable
from usage.domain.history import History
from usage.domain.outlook import Past
from usage.domain.snapshot import Snapshot, snapshot_of
from usage.domain.team import Team, teams

log = logging.getLogger(__name__)

One = tuple[str | None, Features, AccountInfo | None, Past | None]
"""An account (None: the only one), its features, its line in the listing, its history."""


@dataclass(frozen=True)
class Several:
    """Each account's features (or what went wrong), and the team view of them."""

    results: list[tuple[str, Features | Problem]]
    teams: list[Team]


class Credits(commands.Cog):
    def __init__(self, accounts: AccountDirectory, history: History, settings: Settings) -> None:
        self.accounts, self.history, self.settings = accounts, history, settings

    @app_commands.command(name="credits")
    @app_commands.autocomplete(account=account_choices)
    @app_commands.describe(
        account="useapi.net MiniMax account (default: the configured one, or a summary of all)",
        public="Show the answer to everyone in the channel (default: only you)",
    )
    async def credits(
        self, interaction: discord.Interaction, account: str | None = None, public: bool = False
    ) -> None:
        """Show MiniMax credits, plan and when each credit batch expires."""
        found = await replies.deferred(interaction, self._fetch(account), public=public)
        if isinstance(found, Problem):
            await replies.send_problem(interaction, found)
            return
        if isinstance(found, Several):
            embeds = summary_embeds(found.results, now=datetime.now(UTC), teams=found.teams)
            await replies.send_embeds(interaction, embeds, public=public)
            return
        account, features, info, past = found
        now = datetime.now(UTC)
        name = account or await self.accounts.only_one()
        if name and account is None:
            past = await self._past(name)
        current = snapshot_of(features)
        outlooks = past.plus(current).outlooks(now) if past is not None else []
        embed = credits_embed(
            features, account=account, now=now, account_info=info, outlooks=outlooks
        )
        await replies.send_embeds(interaction, [embed], public=public)
        if name:
            await self._record(name, current)

    async def _fetch(self, option: str | None) -> Problem | Several | One:
        """The account or accounts the command is about, and what it shows of them: each
        account's features and the team view for a summary, or one account's (with its
        history)."""
        found = await command_target(self.accounts, option, several=True)
        if isinstance(found, Problem):
            return found
        if found.several:
            return await self._summary(found.several)
        features, info, past = await self._one(found.account)
        if isinstance(features, Problem):
            return features
        return found.account, features, info, past

    async def _past(self, account: str) -> Past | None:
        """The account's history summed up for the pace line (kept between commands)."""
        window = self.settings.usage_window
        try:
            return await self.history.past(account, datetime.now(UTC), window)
        except StoreUnavailable as exc:
            log.info("no usage forecast for /credits: %s", exc)
            return None

    async def _record(self, account: str, current: Snapshot) -> None:
        """A fresh read is history too (a cached one has the same time: kept once)."""
        try:
            await self.history.record([(account, current)])
        except StoreUnavailable as exc:
            log.info("could not record /credits in the usage history: %s", exc)

    async def _one(
        self, account: str | None
    ) -> tuple[Features | Problem, AccountInfo | None, Past | None]:
        """The account's features, what the accounts listing says of it and its history,
        fetched together: the history read hides behind the upstream request."""
        directory = self.accounts
        if account is None:
            return await load_features(directory, None), None, None
        return await asyncio.gather(
            load_features(directory, account), directory.info(account), self._past(account)
        )

    async def _summary(self, accounts: tuple[str, ...]) -> Several:
        """Each account's features, and with their histories (read meanwhile) the team view."""
        now = datetime.now(UTC)
        found, pasts = await asyncio.gather(
            load_each(self.accounts, accounts, self.settings.poll_concurrency),
            asyncio.gather(*(self._past(a) for a in accounts)),
        )
        outlooks = {
            name: past.plus(snapshot_of(f)).outlooks(now)
            for (name, f), past in zip(found, pasts, strict=True)
            if past is not None and not isinstance(f, Problem)
        }
        return Several(found, teams(outlooks, now))
