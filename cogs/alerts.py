"""Expiry alerts: the background check, the alert channel, and `/alerts status|test|check`."""

from __future__ import annotations

import logging
import sqlite3
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from alerts.delivery import Delivery, Refused, Scope
from alerts.notices import Notice
from alerts.store import SqliteAlertStore
from alerts.watcher import CheckReport, Watcher
from core import replies
from render.alerts import AlertMessage, alert_message, refs_in, sample_notice
from render.alerts_status import report_embed, status_embed, status_off
from settings import interval_warnings

if TYPE_CHECKING:
    from bot import MiniMaxBot

log = logging.getLogger(__name__)

HISTORY_LOOKBACK = 100
AUTOMOD_CODES = frozenset({200000, 200001})
MAX_FAILED_SHOWN = 5


def _refusal(exc: Exception, channel_id: int) -> Refused:
    """Which kind of refusal a failed post is, with the fix for channel-wide ones."""
    if isinstance(exc, discord.Forbidden) and exc.code not in AUTOMOD_CODES:
        return Refused(
            Scope.CHANNEL,
            f"missing permission in the alert channel {channel_id}: give the bot "
            "View Channel, Send Messages and Embed Links there",
        )
    if isinstance(exc, discord.NotFound):
        return Refused(
            Scope.CHANNEL,
            f"ALERT_CHANNEL_ID={channel_id} does not exist or the bot cannot see it: "
            "check the id and that the bot is in that server",
        )
    if isinstance(exc, discord.HTTPException) and 400 <= exc.status < 500 and exc.status != 429:
        if exc.code in AUTOMOD_CODES:
            short = "the server's AutoMod blocked it"
        else:
            short = f"Discord refused it (HTTP {exc.status}, code {exc.code})"
        return Refused(Scope.MESSAGE, f"{short}: {exc.text[:200]}", short=short)
    status = exc.status if isinstance(exc, discord.HTTPException) else exc.__class__.__name__
    return Refused(Scope.TRANSIENT, f"Discord did not take the alert ({status}); trying again")


class DiscordAlertChannel:
    """The alert channel as `alerts.delivery` sees it: post a notice, list what is posted."""

    def __init__(self, bot: MiniMaxBot, channel_id: int, role_id: int | None) -> None:
        self.bot = bot
        self.channel_id = channel_id
        self.role_id = role_id

    async def resolve(self) -> discord.abc.Messageable:
        channel = self.bot.get_channel(self.channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(self.channel_id)
            except (discord.HTTPException, OSError, TimeoutError) as exc:
                raise _refusal(exc, self.channel_id) from exc
        if not isinstance(channel, discord.abc.Messageable):
            raise Refused(
                Scope.CHANNEL, f"ALERT_CHANNEL_ID={self.channel_id} is not a text channel"
            )
        return channel

    async def posted(self) -> dict[str, int]:
        """Discord's nonce check catches a resend within minutes; the channel's recent history
        catches later ones, and a wiped database (it needs Read Message History; without it
        the nonce is the only guard)."""
        channel = await self.resolve()
        found: dict[str, int] = {}
        me = self.bot.user
        try:
            async for message in channel.history(limit=HISTORY_LOOKBACK):
                if me is not None and message.author.id == me.id:
                    footers = [e.footer.text for e in message.embeds]
                    found.update(dict.fromkeys(refs_in(message.content, footers), message.id))
        except discord.HTTPException as exc:
            log.info(
                "cannot read the alert channel's history (%s); relying on the nonce", exc.status
            )
        return found

    async def post(self, notice: Notice) -> int:
        message = await self.send(alert_message(notice, self.role_id), nonce=notice.nonce)
        return message.id

    async def send(self, rendered: AlertMessage, *, nonce: str | None) -> discord.Message:
        channel = await self.resolve()
        try:
            return await channel.send(
                content=rendered.content,
                embed=rendered.embed,
                allowed_mentions=rendered.allowed_mentions,
                nonce=nonce,
            )
        except (discord.HTTPException, OSError, TimeoutError) as exc:
            raise _refusal(exc, self.channel_id) from exc


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
        assert bot.db is not None
        self.store = SqliteAlertStore(bot.db)
        self.watcher = Watcher(
            bot.minimax,
            self.store,
            accounts=settings.useapi_accounts,
            thresholds=settings.expiry_warning_hours,
            concurrency=settings.poll_concurrency,
        )
        self.channel_id = settings.alert_channel_id
        self.channel = DiscordAlertChannel(
            bot, settings.alert_channel_id or 0, settings.alert_mention_role_id
        )
        self.delivery = Delivery(
            self.store,
            self.channel,
            on_sent=lambda notice: bot.metrics.alerts.labels(kind=str(notice.kind)).inc(),
        )
        self.last_check: CheckReport | None = None
        self.loop.change_interval(minutes=settings.check_interval_minutes)

    async def cog_load(self) -> None:
        if self.channel_id is None:
            log.info("ALERT_CHANNEL_ID is not set: expiry alerts are off")
            return
        for warning in interval_warnings(self.bot.settings):
            log.warning("%s", warning)
        self.loop.start()

    async def cog_unload(self) -> None:
        self.loop.cancel()

    @tasks.loop(minutes=30)
    async def loop(self) -> None:
        try:
            await self.run_check()
        except sqlite3.OperationalError as exc:  # locked by another program, disk full, …
            log.warning("expiry check: the database failed (%s); trying again next time", exc)
        except Exception:
            log.exception("expiry check failed; trying again next time")

    @loop.before_loop
    async def _wait_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def run_check(self) -> CheckReport:
        started = time.perf_counter()
        report = await self.watcher.check()
        report.seconds = time.perf_counter() - started
        report.finished_at = datetime.now(UTC)
        self.bot.metrics.check_duration.observe(report.seconds)
        log.info(
            "expiry check: %d accounts in %.3fs, %d failed, %d notices queued",
            len(report.accounts),
            report.seconds,
            len(report.failed),
            report.queued,
        )
        self.last_check = report
        report.sent = await self.delivery.flush()
        return report

    @alerts.command(name="status")
    async def status(self, interaction: discord.Interaction) -> None:
        """Show the alert channel, thresholds and each watched account's state."""
        await replies.defer(interaction, public=False)
        embed = status_embed(
            self.bot.settings,
            await self.store.health(),
            running=self.loop.is_running(),
            last_run=self.last_check.finished_at if self.last_check else None,
            send_error=self.delivery.channel_error,
            failed=await self.store.failed(MAX_FAILED_SHOWN),
        )
        await interaction.edit_original_response(embed=embed)

    @alerts.command(name="test")
    async def test(self, interaction: discord.Interaction) -> None:
        """Post a sample alert to the alert channel to check the bot may post there."""
        if self.channel_id is None:
            await interaction.response.send_message(embed=status_off(), ephemeral=True)
            return
        await replies.defer(interaction, public=False)
        notice = sample_notice(datetime.now(UTC))
        rendered = alert_message(notice, None)
        assert rendered.embed is not None
        rendered.embed.set_footer(text="This is a test: nothing is expiring.")
        try:
            await self.channel.send(rendered, nonce=None)
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
        report = await self.run_check()
        await interaction.edit_original_response(embed=report_embed(report))


async def setup(bot: MiniMaxBot) -> None:
    await bot.add_cog(Alerts(bot))
