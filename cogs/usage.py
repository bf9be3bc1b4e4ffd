"""`/usage`: what was spent, the pace, what will expire unused, and a chart of it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from chat import replies
from chat.accounts import AccountDirectory
from chat.lookup import account_choices, command_target, load_each
from minimax_api.problems import Problem
from settings import Settings
from usage.chat.report import usage_report
from usage.domain.history import History
from usage.domain.snapshot import snapshot_of

PERIODS = [app_commands.Choice(name=f"{d} days", value=d) for d in (7, 30, 90)]
READ_AT_MOST = 25  # accounts one /usage may read for their first snapshot


class Usage(commands.Cog):
    def __init__(self, accounts: AccountDirectory, history: History, settings: Settings) -> None:
        self.accounts, self.history, self.settings = accounts, history, settings

    @app_commands.command(name="usage")
    @app_commands.autocomplete(account=account_choices)
    @app_commands.choices(days=PERIODS)
    @app_commands.describe(
        account="useapi.net MiniMax account (default: the configured one, or the total of all)",
        days="How far back to look (default: 7 days)",
        public="Show the answer to everyone in the channel (default: only you)",
    )
    async def usage(
        self,
        interaction: discord.Interaction,
        account: str | None = None,
        days: app_commands.Choice[int] | None = None,
        public: bool = False,
    ) -> None:
        """Show credits spent, the pace, what will expire unused at it, and a chart."""
        period = days.value if days else PERIODS[0].value
        found = await replies.deferred(interaction, self._fetch(account, period), public=public)
        if isinstance(found, Problem):
            await replies.send_problem(interaction, found)
            return
        embeds, chart = found
        files = [chart] if chart else []
        await replies.send_embeds(interaction, embeds, public=public, files=files)

    async def _fetch(
        self, option: str | None, period: int
    ) -> Problem | tuple[list[discord.Embed], discord.File | None]:
        """The accounts the command is about and their report, or the Problem instead."""
        found = await command_target(self.accounts, option, several=True, named=True)
        if isinstance(found, Problem):
            return found
        await self._read_once(found.names)
        window = self.settings.usage_window
        return await usage_report(
            self.history, found.names, period=period, window=window, now=datetime.now(UTC)
        )

    async def _read_once(self, names: Sequence[str]) -> None:
        """An account with no history yet is read now, once, so that there is something to
        show (the balance now and each batch's expiry); it becomes its first snapshot. Not
        for a total of many accounts: the checks keep their history."""
        if len(names) > READ_AT_MOST:
            return
        history = self.history
        missing = [n for n in names if await history.first(n) is None]
        if not missing:
            return
        found = await load_each(self.accounts, missing, self.settings.poll_concurrency)
        await history.record(
            [(name, snapshot_of(f)) for name, f in found if not isinstance(f, Problem)]
        )
