"""`/alerts status|test|check|snooze|unsnooze`, and the start of the expiry checks, their
leadership and the buttons on alert messages."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import discord
from discord import app_commands
from discord.ext import commands

from alerts.delivery import Delivery, Refused
from alerts.notices import TOKEN_SUBJECT
from alerts.silences import BadDuration, Silences, Snooze, parse_duration
from alerts.store import AlertStore
from alerts.watcher import Watcher
from core import replies
from core.alert_channel import DiscordAlertChannel
from core.alert_controls import CONTROLS, AlertAnswers
from core.alert_messages import AlertMessages
from core.discord_client import MiniMaxBot
from core.expiry_checks import ExpiryChecks
from core.leadership import Leadership
from core.lookup import account_choices
from render import limits
from render.alerts import alert_message, sample_notice
from render.alerts_status import (
    not_leading_embed,
    not_snoozed,
    report_embed,
    snooze_said,
    status_embed,
    status_off,
    unknown_account,
    unsnooze_said,
)
from settings import interval_warnings

log = logging.getLogger(__name__)

MAX_FAILED_SHOWN = 5


class Alerts(commands.Cog):
    alerts = app_commands.Group(
        name="alerts",
        description="Expiry alerts for MiniMax credits and sessions",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: MiniMaxBot) -> None:
        self.bot = bot
        settings = bot.settings
        window = timedelta(days=settings.usage_window_days)
        self.store = AlertStore(bot.db)
        self.silences = Silences(bot.db)
        self.answers = AlertAnswers(self.silences)
        watcher = Watcher(
            bot.minimax,
            self.store,
            accounts=settings.useapi_accounts,
            thresholds=settings.expiry_warning_hours,
            concurrency=settings.poll_concurrency,
            history=bot.history,
            window=window,
            silences=self.silences,
            alerting=settings.alert_channel_id is not None,
        )
        messages = AlertMessages(
            bot.history,
            bot.alert_status,
            configured=watcher.configured,
            window=window,
            role_id=settings.alert_mention_role_id,
            silences=self.silences,
        )
        self.channel_id = settings.alert_channel_id
        self.channel = DiscordAlertChannel(bot, settings.alert_channel_id or 0)
        self.delivery = Delivery(
            self.store,
            self.channel,
            messages.compose,
            pack=messages.pack,
            silences=self.silences,
            on_sent=lambda notice: bot.metrics.alerts.labels(kind=str(notice.kind)).inc(),
        )
        self.checks = ExpiryChecks(
            watcher,
            self.delivery,
            bot.alert_status,
            bot.metrics,
            interval_minutes=settings.check_interval_minutes,
            digest=settings.digest,
        )
        self.leadership = Leadership(
            bot,
            bot.db,
            bot.identity,
            bot.alert_status,
            checks=self.checks.loop,
            while_leading=self.checks.queue_digest,
        )
        self.alert_status = bot.alert_status

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*CONTROLS)  # presses on alerts posted before a restart too
        if self.channel_id is None:
            log.info(
                "ALERT_CHANNEL_ID is not set: expiry alerts are off; the accounts are still "
                "read every check for the usage history"
            )
        else:
            for warning in interval_warnings(self.bot.settings):
                log.warning("%s", warning)
        self.leadership.loop.start()

    async def cog_unload(self) -> None:
        await self.leadership.stop()

    @alerts.command(name="status")
    async def status(self, interaction: discord.Interaction) -> None:
        """Show the alert channel, thresholds and each watched account's state."""
        await replies.defer(interaction, public=False)
        health = await self.store.health()
        now = datetime.now(UTC)
        window = timedelta(days=self.bot.settings.usage_window_days)
        paces = {
            h.account: await self.bot.history.outlooks(h.account, now, window)
            for h in health[: limits.FIELDS]
            if h.account != TOKEN_SUBJECT
        }
        embed = status_embed(
            self.bot.settings,
            health,
            running=self.leadership.loop.is_running(),
            leader=self.alert_status.leader,
            last_run=last.finished_at if (last := self.alert_status.last_check) else None,
            send_error=self.delivery.channel_error,
            failed=await self.store.failed(MAX_FAILED_SHOWN),
            paces=paces,
            strangers=[(g.name, g.id) for g in self.bot.guilds if not self.bot.access.serves(g.id)],
            snoozes=list((await self.silences.snoozed(now)).values()),
            acks=await self.silences.acks(since=now),
        )
        await interaction.edit_original_response(embed=embed)

    @alerts.command(name="test")
    async def test(self, interaction: discord.Interaction) -> None:
        """Post a sample alert to the alert channel to check the bot may post there."""
        if self.channel_id is None:
            await interaction.response.send_message(embed=status_off(), ephemeral=True)
            return
        await replies.defer(interaction, public=False)
        rendered = alert_message(sample_notice(datetime.now(UTC)), None)
        assert rendered.embeds
        rendered.embeds[0].set_footer(text="This is a test: nothing is expiring.")
        try:
            await self.channel.post(rendered, nonce=None)
        except Refused as exc:
            text = f"The test alert could not be posted: {exc.reason}."
        else:
            text = f"Posted a test alert in <#{self.channel_id}>."
        await interaction.edit_original_response(embed=discord.Embed(description=text))

    @alerts.command(name="check")
    async def check(self, interaction: discord.Interaction) -> None:
        """Check every watched account now and post any due alerts."""
        if self.channel_id is None:
            await interaction.response.send_message(embed=status_off(), ephemeral=True)
            return
        await replies.defer(interaction, public=False)
        if not self.alert_status.leading:
            embed = not_leading_embed(self.alert_status.leader, self.bot.settings)
        else:
            embed = report_embed(await self.checks.run())
        await interaction.edit_original_response(embed=embed)

    @alerts.command(name="snooze")
    @app_commands.autocomplete(account=account_choices)
    @app_commands.describe(
        account="useapi.net MiniMax account to silence",
        duration="How long: 3h, 2d, 1w (at most 30 days)",
        reason="Why, for /alerts status",
    )
    async def snooze(
        self,
        interaction: discord.Interaction,
        account: str,
        duration: str,
        reason: str | None = None,
    ) -> None:
        """No alerts for an account until the snooze ends (what is due then is posted once)."""
        try:
            length = parse_duration(duration)
        except BadDuration as exc:
            await replies.say(interaction, f"{exc}.")
            return
        await replies.defer(interaction, public=False)  # the listing may take a moment
        if (unknown := await self._unknown(account)) is not None:
            await replies.say(interaction, unknown)
            return
        now = datetime.now(UTC)
        until = now + length
        await self.silences.snooze(
            Snooze(account, until, interaction.user.id, (reason or "")[:200], now)
        )
        await replies.say(interaction, snooze_said(account, until))

    @alerts.command(name="unsnooze")
    @app_commands.autocomplete(account=account_choices)
    @app_commands.describe(account="useapi.net MiniMax account to hear about again")
    async def unsnooze(self, interaction: discord.Interaction, account: str) -> None:
        """End an account's snooze: what is still due is posted at the next check."""
        await replies.defer(interaction, public=False)
        if await self.silences.end(account, datetime.now(UTC)):
            await replies.say(interaction, unsnooze_said(account))
        else:
            await replies.say(interaction, not_snoozed(account))

    async def _unknown(self, account: str) -> str | None:
        """What to say of an account the bot does not know (None: it knows it, or cannot
        tell because no account is configured and the listing cannot be read)."""
        if account in self.bot.settings.useapi_accounts:
            return None
        names = await self.bot.accounts.names()
        if not names or account in names:
            return None
        return unknown_account(account, names)


async def setup(bot: MiniMaxBot) -> None:
    await bot.add_cog(Alerts(bot))
