"""`/alerts status|test|check`, and the start of the expiry checks and their leadership."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import discord
from discord import app_commands
from discord.ext import commands

from alerts.delivery import Delivery, Refused
from alerts.notices import TOKEN_SUBJECT
from alerts.store import AlertStore
from alerts.watcher import Watcher
from core import replies
from core.alert_channel import DiscordAlertChannel
from core.alert_messages import AlertMessages
from core.discord_client import MiniMaxBot
from core.expiry_checks import ExpiryChecks
from core.leadership import Leadership
from render import limits
from render.alerts import alert_message, sample_notice
from render.alerts_status import not_leading_embed, report_embed, status_embed, status_off
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
        watcher = Watcher(
            bot.minimax,
            self.store,
            accounts=settings.useapi_accounts,
            thresholds=settings.expiry_warning_hours,
            concurrency=settings.poll_concurrency,
            history=bot.history,
            window=window,
        )
        messages = AlertMessages(
            bot.history,
            bot.alert_status,
            configured=watcher.configured,
            window=window,
            role_id=settings.alert_mention_role_id,
        )
        self.channel_id = settings.alert_channel_id
        self.channel = DiscordAlertChannel(bot, settings.alert_channel_id or 0)
        self.delivery = Delivery(
            self.store,
            self.channel,
            messages.compose,
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
        if self.channel_id is None:
            log.info("ALERT_CHANNEL_ID is not set: expiry alerts are off")
            return
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


async def setup(bot: MiniMaxBot) -> None:
    await bot.add_cog(Alerts(bot))
