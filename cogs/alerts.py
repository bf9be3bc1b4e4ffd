"""Expiry alerts: the background check, its leadership, and `/alerts status|test|check`."""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime, timedelta

import discord
from discord import app_commands
from discord.ext import commands, tasks

from alerts.delivery import Delivery, Refused
from alerts.notices import TOKEN_SUBJECT, digest_notice
from alerts.store import AlertStore
from alerts.watcher import CheckReport, Watcher
from core import replies
from core.alert_channel import DiscordAlertChannel
from core.alert_messages import AlertMessages
from core.discord_client import MiniMaxBot
from render import limits
from render.alerts import alert_message, sample_notice
from render.alerts_status import not_leading_embed, report_embed, status_embed, status_off
from settings import interval_warnings
from state import Lease, StoreUnavailable

log = logging.getLogger(__name__)

LEASE_SECONDS = 20.0  # a leader that stops renewing is replaced after this long
RENEW_SECONDS = 5.0
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
        self.store = AlertStore(bot.db)
        self.watcher = Watcher(
            bot.minimax,
            self.store,
            accounts=settings.useapi_accounts,
            thresholds=settings.expiry_warning_hours,
            concurrency=settings.poll_concurrency,
            history=bot.history,
            window=timedelta(days=settings.usage_window_days),
        )
        messages = AlertMessages(
            bot.history,
            bot.alert_status,
            configured=self.watcher.configured,
            window=timedelta(days=settings.usage_window_days),
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
        self.alert_status = bot.alert_status
        self.lease = Lease(bot.db, "alerts", bot.identity, ttl=LEASE_SECONDS)
        self._lease_error: str | None = None
        self._check_error: str | None = None
        self._digest_queued: datetime | None = None
        self.loop.change_interval(minutes=settings.check_interval_minutes)

    async def cog_load(self) -> None:
        if self.channel_id is None:
            log.info("ALERT_CHANNEL_ID is not set: expiry alerts are off")
            return
        for warning in interval_warnings(self.bot.settings):
            log.warning("%s", warning)
        self.leadership.start()

    async def cog_unload(self) -> None:
        self.leadership.cancel()
        self.loop.cancel()
        if self.alert_status.leading:
            with contextlib.suppress(StoreUnavailable):
                await self.lease.release()  # another replica takes over at once

    @tasks.loop(seconds=RENEW_SECONDS)
    async def leadership(self) -> None:
        """Hold or seek the alerts lease: exactly one process checks and posts at a time.
        The leader checks at once when it takes over, so what was pending goes out; it also
        queues the digest of each period once (the nonce makes a second queueing a no-op)."""
        try:
            await self._lead()
            if self.alert_status.leading:
                await self._digest(datetime.now(UTC))
        except StoreUnavailable:
            pass  # said once by _lead; the loop tries again
        except Exception:
            log.exception("leading the expiry checks failed; trying again")

    async def _digest(self, now: datetime) -> None:
        schedule = self.bot.settings.digest
        if schedule is None or self.alert_status.last_check is None:
            return  # the first check tells which accounts there are
        start = schedule.last_due(now)
        if start == self._digest_queued:
            return
        await self.store.queue(
            digest_notice(start, schedule.period, str(schedule), now), notified=False
        )
        self._digest_queued = start
        log.info("digest of %s queued", start.isoformat())
        await self.delivery.flush()

    async def _lead(self) -> None:
        status = self.alert_status
        try:
            holder = await self.lease.take()
            leading = self.lease.mine(holder)
        except StoreUnavailable as exc:
            leading, holder = False, None
            if str(exc) != self._lease_error:
                log.warning("expiry checks paused: the database is unavailable (%s)", exc)
                self._lease_error = str(exc)
        else:
            if self._lease_error:
                log.info("the database is back: expiry checks resume")
                self._lease_error = None
        status.leader = holder.name if holder else None
        if leading and not status.leading:
            log.info("this process (%s) leads the expiry checks now", self.bot.identity)
            if self.loop.is_running():
                self.loop.restart()  # a cancel from a moment ago is still finishing
            else:
                self.loop.start()
        elif status.leading and not leading:
            log.info("%s leads the expiry checks now", status.leader or "no process")
            self.loop.cancel()
        status.leading = leading

    @leadership.before_loop
    async def _wait_ready_to_lead(self) -> None:
        await self.bot.wait_until_ready()

    @tasks.loop(minutes=30)
    async def loop(self) -> None:
        try:
            await self.run_check()
        except StoreUnavailable as exc:
            if str(exc) != self._check_error:
                log.warning("expiry check: the database failed (%s); trying again next time", exc)
            self._check_error = str(exc)
        except Exception:
            log.exception("expiry check failed; trying again next time")

    async def run_check(self) -> CheckReport:
        report = await self.watcher.check()
        self.bot.metrics.check_duration.observe(report.seconds)
        log.info(
            "expiry check: %d accounts in %.3fs, %d failed, %d notices queued",
            len(report.accounts),
            report.seconds,
            len(report.failed),
            report.queued,
        )
        self.alert_status.last_check = report
        report.sent = await self.delivery.flush()
        self._check_error = None
        return report

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
            running=self.leadership.is_running(),
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
            embed = report_embed(await self.run_check())
        await interaction.edit_original_response(embed=embed)


async def setup(bot: MiniMaxBot) -> None:
    await bot.add_cog(Alerts(bot))
