"""`/alerts status|test|check|snooze|unsnooze|quiet|rules`, and the start of the expiry checks,
their leadership and the buttons on alert messages."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from functools import partial

import discord
from discord import app_commands
from discord.ext import commands

from alerts.chat.channel import Postable, PostableOption, cannot_ping, cannot_post
from alerts.chat.controls import sample_alert_with_buttons
from alerts.chat.parts import AlertParts
from alerts.domain.account_rules import (
    ALL,
    NO_ROLE,
    BadRule,
    Field,
    proposed,
    rule_interval_warnings,
)
from alerts.domain.notices import TOKEN_SUBJECT
from alerts.domain.port import Refused
from alerts.domain.quiet import BadWindows, parse_windows, unparse
from alerts.domain.silences import BadDuration, Snooze, parse_duration
from alerts.domain.status import Routes
from alerts.render.rules import change_line, rules_embed
from alerts.render.status import (
    AlertsShown,
    not_leading_embed,
    not_snoozed,
    quiet_said,
    report_embed,
    snooze_said,
    status_embed,
    status_off,
    unknown_account,
    unsnooze_said,
)
from app.access import Access
from app.client import MANAGES, MiniMaxBot
from chat import limits, replies
from chat.accounts import AccountDirectory
from chat.lookup import account_choices, rule_account_choices
from minimax_api import MiniMaxClient, Priority, UseapiAccount, UseapiError
from minimax_api.problems import describe
from settings import Settings
from state import StoreUnavailable
from usage.domain.history import History

log = logging.getLogger(__name__)

MAX_FAILED_SHOWN = 5
NONE = "none"
"""What a role option takes for “ping nobody” (over the levels below)."""
_ROLE_MENTION = re.compile(r"<@&(\d{15,20})>|(\d{15,20})")


def role_of(guild: discord.Guild | None, option: str, text: str) -> int:
    """The role id a role option names: “none” (NO_ROLE), `<@&id>`, an id or an exact name
    of `guild`'s roles; BadRule in one line when it names none, or one alerts cannot ping."""
    cleaned = text.strip()
    if cleaned.lower() == NONE:
        return NO_ROLE
    if guild is None:
        raise BadRule(f"{option}: I do not know this server's roles yet; try again in a minute")
    found = _ROLE_MENTION.fullmatch(cleaned)
    role = (
        guild.get_role(int(found[1] or found[2]))
        if found
        else discord.utils.get(guild.roles, name=cleaned.removeprefix("@"))
    )
    if role is None:
        raise BadRule(
            f"{option}: no role “{limits.safe(cleaned, 40)}” in this server: pick one from the "
            f"list, or write its name, its id or {NONE}"
        )
    if (problem := cannot_ping(role)) is not None:
        raise BadRule(f"{option}: {problem.rstrip('.')}")
    return role.id


async def role_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete for the role options: “none”, then the server's roles by name."""
    typed = current.strip().lower().removeprefix("@")
    found = [app_commands.Choice(name="none (ping nobody)", value=NONE)]
    if typed and not NONE.startswith(typed):
        found = []
    roles = interaction.guild.roles if interaction.guild else []
    found += [
        app_commands.Choice(name=limits.clip(f"@{r.name}", 100), value=str(r.id))
        for r in sorted(roles, key=lambda r: -r.position)
        if not r.is_default() and typed in r.name.lower()
    ]
    return found[:25]


def fields_of(text: str) -> list[Field]:
    """The fields `unset` names, separated by commas; BadRule in one line for any other."""
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    if bad := [n for n in names if n not in set(Field)]:
        raise BadRule(
            f"unset: “{limits.safe(bad[0], 40)}” is not a field; give one or more of "
            + ", ".join(Field)
            + " separated by commas"
        )
    return [Field(n) for n in dict.fromkeys(names)]


async def field_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete for `unset`: the field names, completing the last of those typed."""
    *before, last = current.split(",")
    done = [b.strip() for b in before if b.strip()]
    prefix = "".join(f"{b}," for b in done)
    typed = last.strip().lower()
    return [
        app_commands.Choice(name=prefix + f, value=prefix + f)
        for f in Field
        if f not in done and f.startswith(typed)
    ][:25]


class Alerts(commands.Cog):
    alerts = app_commands.Group(
        name="alerts",
        description="Expiry alerts for MiniMax credits and sessions",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(
        self,
        bot: MiniMaxBot,
        parts: AlertParts,
        *,
        settings: Settings,
        accounts: AccountDirectory,
        history: History,
        minimax: MiniMaxClient,
        access: Access,
    ) -> None:
        self.bot = bot
        self.settings, self.accounts, self.history = settings, accounts, history
        self.minimax, self.access = minimax, access
        self.store, self.silences, self.rule_store = parts.store, parts.silences, parts.rule_store
        self.rules = parts.rules
        self.channel, self.delivery, self.checks = parts.channel, parts.delivery, parts.checks
        self.leadership, self.alert_status = parts.leadership, parts.status
        self.controls = parts.controls
        self.quiet = parts.quiet
        self.channel_id = settings.alert_channel_id

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*self.controls)  # presses on alerts posted before a restart too
        try:
            book = await self.rules()
        except StoreUnavailable:
            pass  # the checks say so when they start
        else:
            for warning in rule_interval_warnings(book, self.settings.check_interval_minutes):
                log.warning("%s", warning)
        if self.channel_id is None:
            log.info(
                "ALERT_CHANNEL_ID is not set: only accounts given a channel with /alerts rules "
                "get alerts; every account is still read each check for the usage history"
            )
        self.leadership.loop.start()

    async def cog_unload(self) -> None:
        await self.leadership.stop()

    @alerts.command(name="status")
    async def status(self, interaction: discord.Interaction) -> None:
        """Show the alert channel, thresholds and each watched account's state."""
        await replies.defer(interaction, public=False)
        useapi = asyncio.ensure_future(self._useapi_account())
        health = await self.store.health()
        now = datetime.now(UTC)
        window = self.settings.usage_window
        book = await self.rules()
        self.alert_status.routes = Routes.of(book)  # what /healthz says follows at once
        paces = {
            h.account: await self.history.outlooks(h.account, now, window)
            for h in health[: limits.FIELDS]
            if h.account != TOKEN_SUBJECT
        }
        shown = AlertsShown(
            health,
            running=self.leadership.loop.is_running(),
            leader=self.alert_status.leader,
            last_run=last.finished_at if (last := self.alert_status.last_check) else None,
            send_errors=self.delivery.channel_errors,
            book=book,
            useapi=await useapi,
            failed=await self.store.failed(MAX_FAILED_SHOWN),
            paces=paces,
            strangers=[(g.name, g.id) for g in self.bot.guilds if not self.access.serves(g.id)],
            snoozes=list((await self.silences.snoozed(now)).values()),
            acks=await self.silences.acks(since=now),
            quiet=await self.quiet.get(),
            now=now,
        )
        embed = status_embed(self.settings, shown)
        await interaction.edit_original_response(embed=embed)

    async def _useapi_account(self) -> UseapiAccount | str:
        """The useapi.net account as it is now, or why it cannot be read."""
        try:
            return await self.minimax.useapi_account(priority=Priority.INTERACTIVE)
        except UseapiError as exc:
            return describe(exc).title

    @alerts.command(name="test", extras={MANAGES: True})
    async def test(self, interaction: discord.Interaction) -> None:
        """Post a sample alert in every alert channel to check the bot may post there."""
        await replies.defer(interaction, public=False)
        channels = sorted((await self.rules()).channels())
        if not channels:
            await interaction.edit_original_response(embed=status_off())
            return
        lines = []
        for channel_id in channels:
            sample = sample_alert_with_buttons(datetime.now(UTC))
            try:
                await self.channel.post(sample, None, channel_id)
            except Refused as exc:
                lines.append(
                    f"The test alert could not be posted in <#{channel_id}>: {exc.reason}."
                )
            else:
                lines.append(f"Posted a test alert in <#{channel_id}>.")
        await interaction.edit_original_response(
            embed=discord.Embed(description=limits.clip("\n".join(lines), limits.DESCRIPTION))
        )

    @alerts.command(name="check", extras={MANAGES: True})
    async def check(self, interaction: discord.Interaction) -> None:
        """Check every watched account now and post any due alerts."""
        await replies.defer(interaction, public=False)
        if not self.alert_status.leading:
            embed = not_leading_embed(self.alert_status.leader, self.settings)
        else:
            embed = report_embed(await self.checks.run())
        await interaction.edit_original_response(embed=embed)

    @alerts.command(name="snooze", extras={MANAGES: True})
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

    @alerts.command(name="unsnooze", extras={MANAGES: True})
    @app_commands.autocomplete(account=account_choices)
    @app_commands.describe(account="useapi.net MiniMax account to hear about again")
    async def unsnooze(self, interaction: discord.Interaction, account: str) -> None:
        """End an account's snooze: what is still due is posted at the next check."""
        await replies.defer(interaction, public=False)
        if await self.silences.end(account, datetime.now(UTC)):
            await replies.say(interaction, unsnooze_said(account))
        else:
            await replies.say(interaction, not_snoozed(account))

    @alerts.command(name="quiet", extras={MANAGES: True})
    @app_commands.describe(
        windows="Days, times and an IANA zone, e.g. Mon-Fri 22:00-08:00 Europe/Berlin; "
        "several separated by ;, or off"
    )
    async def quiet_command(self, interaction: discord.Interaction, windows: str) -> None:
        """Set the server's quiet hours: alerts are posted without pings, escalations wait."""
        try:
            found = parse_windows(windows)
        except BadWindows as exc:
            await replies.say(interaction, f"{exc}.")
            return
        await replies.defer(interaction, public=False)
        await self.quiet.set(found)
        log.info(
            "quiet hours set by user %s: %s",
            interaction.user.id,
            unparse(found) if found else "off",
        )
        await replies.say(interaction, quiet_said(found, datetime.now(UTC)))

    @alerts.command(name="rules", extras={MANAGES: True})
    @app_commands.autocomplete(
        account=rule_account_choices,
        mention=role_choices,
        escalate_to=role_choices,
        unset=field_choices,
    )
    @app_commands.describe(
        account="useapi.net MiniMax account, or “all” for every account (the server default)",
        channel="Post its alerts in this channel",
        mention="Ping this role with its alerts (none: ping nobody)",
        steps="Hours before expiry to warn at, e.g. 72,24,1",
        low_balance="Alert once when the video/image credits fall below this many (0: off)",
        low_audio="Alert once when the audio credits fall below this many (0: off)",
        runs_out_days="Alert once when, at its pace, the balance runs out within this many "
        "days (0: off)",
        failure_rate="Alert once when fewer than this percent of its last jobs succeed (0: off; "
        "default 50)",
        failure_min_jobs="How many of its last jobs the failure rate is judged over (default 10)",
        escalate_after="Ping escalate_to when nobody answers an alert this long: 30m, 2h, 20s "
        "(off)",
        escalate_to="The role an unanswered alert escalates to (none: no escalation)",
        escalate_repeat="Repeat the escalation at most this many more times (0 to 10; default 0)",
        unset="Fields back to the level below, separated by commas, e.g. mention,steps",
        reset="Drop the account's rule first (back to the server default, or the settings)",
    )
    async def rules_command(
        self,
        interaction: discord.Interaction,
        account: str,
        channel: app_commands.Transform[PostableOption, Postable] | None = None,
        mention: str | None = None,
        steps: str | None = None,
        low_balance: float | None = None,
        low_audio: float | None = None,
        runs_out_days: float | None = None,
        failure_rate: float | None = None,
        failure_min_jobs: int | None = None,
        escalate_after: str | None = None,
        escalate_to: str | None = None,
        escalate_repeat: int | None = None,
        unset: str | None = None,
        reset: bool = False,
    ) -> None:
        """Show or set an account's alert rules: channel, role, steps, balances, escalation."""
        name = ALL if account.strip().lower() in {"all", ALL} else account
        if channel and (problem := cannot_post(channel)):
            await replies.say(interaction, problem)
            return
        try:
            roles = {
                option: role_of(interaction.guild, option, text)
                for option, text in (("mention", mention), ("escalate_to", escalate_to))
                if text is not None
            }
            cleared = fields_of(unset) if unset is not None else []
        except BadRule as exc:
            await replies.say(interaction, f"{exc}.")
            return
        await replies.defer(interaction, public=False)
        if name != ALL and (unknown := await self._unknown(name)) is not None:
            await replies.say(interaction, unknown)
            return
        edit = partial(
            proposed,
            channel_id=channel.id if channel else None,
            role_id=roles.get("mention"),
            steps=steps,
            low_balance=low_balance,
            runs_out_days=runs_out_days,
            failure_rate=failure_rate,
            failure_min_jobs=failure_min_jobs,
            low_audio=low_audio,
            escalate_after=escalate_after,
            escalate_to=roles.get("escalate_to"),
            escalate_repeat=escalate_repeat,
            unset=cleared,
            reset=reset,
            interval_minutes=self.settings.check_interval_minutes,
        )
        try:
            changed = await self.rule_store.edit(name, edit, interaction.user.id, datetime.now(UTC))
        except BadRule as exc:
            await replies.say(interaction, f"{exc}.")
            return
        if changed:
            said = "; ".join(change_line(c) for c in changed)
            log.info("alert rules of %s changed by user %s: %s", name, interaction.user.id, said)
        book = await self.rules()
        self.alert_status.routes = Routes.of(book)
        embed = rules_embed(
            name,
            book.of(name),
            book.rules.get(name),
            await self.rule_store.changes(name),
            changed,
            interval_minutes=self.settings.check_interval_minutes,
            unusable=book.unusable.get(name),
        )
        await interaction.edit_original_response(
            embed=embed, allowed_mentions=discord.AllowedMentions.none()
        )

    async def _unknown(self, account: str) -> str | None:
        """What to say of an account the bot does not know (None: it knows it, or cannot
        tell because no account is configured and the listing cannot be read)."""
        if account in self.settings.useapi_accounts:
            return None
        names = await self.accounts.names()
        if not names or account in names:
            return None
        return unknown_account(account, names)
