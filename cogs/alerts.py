"""Expiry alerts: the background check, the alert channel, and `/alerts status|test|check`."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from alerts.store import Notice, SqliteAlertStore
from alerts.watcher import CheckReport, Watcher
from core import replies
from render.alerts import REF, AlertMessage, alert_message, sample_notice
from render.alerts_status import report_embed, status_embed, status_off

if TYPE_CHECKING:
    from bot import MiniMaxBot

log = logging.getLogger(__name__)

HISTORY_LOOKBACK = 50


class ChannelProblem(Exception):
    """The alert channel cannot be used; the message says how to fix it."""


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
        self.role_id = settings.alert_mention_role_id
        self.last_check: CheckReport | None = None
        self._send_error: str | None = None
        self._flushing = asyncio.Lock()  # a tick and /alerts check must not send the same notice
        self.loop.change_interval(minutes=settings.check_interval_minutes)

    async def cog_load(self) -> None:
        if self.channel_id is None:
            log.info("ALERT_CHANNEL_ID is not set: expiry alerts are off")
            return
        self.loop.start()

    async def cog_unload(self) -> None:
        self.loop.cancel()

    @tasks.loop(minutes=30)
    async def loop(self) -> None:
        try:
            await self.run_check()
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
        report.sent = await self.flush()
        return report

    async def flush(self) -> int:
        """Send every pending notice; a failed one stays pending for the next tick."""
        async with self._flushing:
            return await self._flush()

    async def _flush(self) -> int:
        sent = 0
        pending = await self.store.pending()
        channel: discord.abc.Messageable | None = None
        for notice in pending:
            try:
                channel = channel or await self._channel()
                message = await self._find_posted(channel, notice) if notice.attempts else None
                if message is None:
                    await self.store.mark_attempt(notice.nonce)
                    message = await self._post(
                        channel, alert_message(notice, self.role_id), nonce=notice.nonce
                    )
            except ChannelProblem as exc:
                await self.store.mark_failed(notice.nonce, str(exc))
                if str(exc) != self._send_error:
                    log.error("cannot post alerts: %s", exc)
                    self._send_error = str(exc)
                break
            await self.store.mark_sent(notice.nonce, message.id, datetime.now(UTC))
            self.bot.metrics.alerts.labels(kind=str(notice.kind)).inc()
            sent += 1
            if self._send_error:
                log.info("the alert channel works again")
                self._send_error = None
        return sent

    async def _channel(self) -> discord.abc.Messageable:
        assert self.channel_id is not None
        channel = self.bot.get_channel(self.channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(self.channel_id)
            except discord.NotFound as exc:
                raise ChannelProblem(
                    f"ALERT_CHANNEL_ID={self.channel_id} does not exist or the bot cannot see "
                    "it: check the id and that the bot is in that server"
                ) from exc
            except discord.HTTPException as exc:
                raise ChannelProblem(
                    f"Discord answered {exc.status} for the alert channel"
                ) from exc
        if not isinstance(channel, discord.abc.Messageable):
            raise ChannelProblem(f"ALERT_CHANNEL_ID={self.channel_id} is not a text channel")
        return channel

    async def _find_posted(
        self, channel: discord.abc.Messageable, notice: Notice
    ) -> discord.Message | None:
        """A message of ours carrying this notice's ref, if an earlier attempt got through.

        Discord's nonce check catches a resend within minutes; this catches later ones
        (it needs Read Message History; without it the nonce is the only guard).
        """
        if self.bot.user is None:
            return None
        ref = f"{REF} {notice.nonce}"
        try:
            async for message in channel.history(limit=HISTORY_LOOKBACK):
                mine = message.author.id == self.bot.user.id
                if mine and any(e.footer.text == ref for e in message.embeds):
                    log.info("alert %s was already posted; not posting it again", notice.nonce)
                    return message
        except discord.HTTPException as exc:
            log.info(
                "cannot read the alert channel's history (%s); relying on the nonce", exc.status
            )
        return None

    async def _post(
        self, channel: discord.abc.Messageable, rendered: AlertMessage, *, nonce: str | None
    ) -> discord.Message:
        """Post to the alert channel; every failure becomes a ChannelProblem saying the fix."""
        try:
            return await channel.send(
                content=rendered.content,
                embed=rendered.embed,
                allowed_mentions=rendered.allowed_mentions,
                nonce=nonce,
            )
        except discord.Forbidden as exc:
            raise ChannelProblem(
                f"missing permission in the alert channel {self.channel_id}: give the bot "
                "View Channel, Send Messages and Embed Links there"
            ) from exc
        except (discord.HTTPException, OSError) as exc:
            raise ChannelProblem(
                f"Discord did not take the alert ({exc.__class__.__name__})"
            ) from exc

    @alerts.command(name="status")
    async def status(self, interaction: discord.Interaction) -> None:
        """Show the alert channel, thresholds and each watched account's state."""
        health = await self.store.health()
        embed = status_embed(
            self.bot.settings,
            health,
            running=self.loop.is_running(),
            last_run=self.last_check.finished_at if self.last_check else None,
            send_error=self._send_error,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @alerts.command(name="test")
    async def test(self, interaction: discord.Interaction) -> None:
        """Post a sample alert to the alert channel to check the bot may post there."""
        if self.channel_id is None:
            await interaction.response.send_message(embed=status_off(), ephemeral=True)
            return
        await replies.defer(interaction, public=False)
        notice = sample_notice(datetime.now(UTC))
        rendered = alert_message(notice, None)
        rendered.embed.set_footer(text="This is a test: nothing is expiring.")
        try:
            await self._post(await self._channel(), rendered, nonce=None)
        except ChannelProblem as exc:
            text = f"The test alert could not be posted: {exc}."
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
