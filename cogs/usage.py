"""`/usage`: what was spent, the pace, what will expire unused, and a chart of it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from chat import replies
from chat.accounts import AccountDirectory
from chat.lookup import account_choices, command_target, load_each, load_features
from minimax_api.problems import Problem
from settings import Settings
from usage.chat.jobs_report import jobs_report
from usage.chat.report import usage_report
from usage.domain.history import History
from usage.domain.jobs import JobStore
from usage.domain.snapshot import snapshot_of

PERIODS = [app_commands.Choice(name=f"{d} days", value=d) for d in (7, 30, 90)]
VIEWS = [
    app_commands.Choice(name="credits: spent, pace, what expires unused", value="credits"),
    app_commands.Choice(name="jobs: per model and account, failures by cause", value="jobs"),
]
READ_AT_MOST = 25  # accounts one /usage may read for their first snapshot


class Usage(commands.Cog):
    def __init__(
        self, accounts: AccountDirectory, history: History, jobs: JobStore, settings: Settings
    ) -> None:
        self.accounts, self.history, self.jobs, self.settings = accounts, history, jobs, settings

    @app_commands.command(name="usage")
    @app_commands.autocomplete(account=account_choices)
    @app_commands.choices(days=PERIODS)
    @app_commands.choices(view=VIEWS)
    @app_commands.describe(
        account="useapi.net MiniMax account (default: the configured one, or the total of all)",
        days="How far back to look (default: 7 days)",
        view="credits (default) or jobs: where the credits go, from useapi.net's job statistics",
        public="Show the answer to everyone in the channel (default: only you)",
    )
    async def usage(
        self,
        interaction: discord.Interaction,
        account: str | None = None,
        days: app_commands.Choice[int] | None = None,
        view: app_commands.Choice[str] | None = None,
        public: bool = False,
    ) -> None:
        """Show credits spent, the pace, what will expire unused at it, and a chart."""
        period = days.value if days else PERIODS[0].value
        fetch = self._jobs if view is not None and view.value == "jobs" else self._fetch
        found = await replies.deferred(interaction, fetch(account, period), public=public)
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

    async def _jobs(
        self, option: str | None, period: int
    ) -> Problem | tuple[list[discord.Embed], discord.File | None]:
        """The job statistics of the accounts the command is about, or the Problem."""
        found = await command_target(self.accounts, option, several=True, named=True)
        if isinstance(found, Problem):
            return found
        costs = await self._costs(found.names)
        return await jobs_report(
            self.jobs, found.names, costs, period=period, now=datetime.now(UTC)
        )

    async def _costs(self, names: Sequence[str]) -> dict[str, float | None]:
        """Each model's cost per job, from the features of the first account that answers
        (the prices are MiniMax's, the same for every account); {} when none does."""
        for name in names[:3]:
            found = await load_features(self.accounts, name)
            if not isinstance(found, Problem):
                return {m.model_id: None if m.cost is None else float(m.cost) for m in found.models}
        return {}

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
