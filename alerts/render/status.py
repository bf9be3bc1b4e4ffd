"""`/alerts` answers: the current set-up and state, and what a check did."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import discord

from alerts.domain.account_rules import ALL, RuleBook
from alerts.domain.notices import TOKEN_SUBJECT
from alerts.domain.quiet import Window, describe, quiet_until
from alerts.domain.silences import Ack, Snooze
from alerts.domain.status import Routes
from alerts.domain.store import AccountHealth, SetAside
from alerts.domain.tick import CheckReport
from alerts.render.names import subject
from alerts.render.rules import rule_line, useapi_line
from chat import limits
from chat.fmt import stamp
from chat.limits import safe
from minimax_api import UseapiAccount
from settings import Settings
from usage.domain.outlook import Outlook
from usage.render.embeds import pace_words


def status_off() -> discord.Embed:
    return discord.Embed(
        title="Expiry alerts are off",
        description="Set ALERT_CHANNEL_ID in the bot's .env to a channel id and restart the "
        "bot, or give accounts a channel with `/alerts rules`.",
        colour=discord.Colour.light_grey(),
    )


MAX_LISTED = 10  # lines of one list in /alerts status


def _listed(heading: str, lines: Sequence[str]) -> list[str]:
    """`heading` and the first MAX_LISTED `lines`, then how many more there are."""
    more = [f"- and {len(lines) - MAX_LISTED} more"] if len(lines) > MAX_LISTED else []
    return [heading, *lines[:MAX_LISTED], *more]


def strangers_text(strangers: Sequence[tuple[str, int]]) -> str:
    """The servers the bot is in but does not serve, with the fix."""
    if not strangers:
        return ""
    heading = (
        "⚠️ In servers it does not serve (it answers nothing there; add a server to "
        "ALLOWED_GUILD_IDS to serve it, or remove the bot from it):"
    )
    return "\n".join(_listed(heading, [f"- {safe(n, 80)} ({g})" for n, g in strangers]))


def snooze_said(account: str, until: datetime) -> str:
    return (
        f"💤 No alerts for {subject(account, 80)} until {stamp(until, 'f')} ({stamp(until)}). "
        "What is still due then is posted once; `/alerts unsnooze` ends it sooner."
    )


def unsnooze_said(account: str) -> str:
    return f"🔔 Alerts for {subject(account, 80)} resume at the next check."


def not_snoozed(account: str) -> str:
    return f"{subject(account, 80)[0].upper()}{subject(account, 80)[1:]} is not snoozed."


def unknown_account(account: str, known: Sequence[str]) -> str:
    listed = ", ".join(safe(a, 40) for a in known[:10]) or "none yet"
    return f"I do not know account “{safe(account, 60)}”: pick one from the list (known: {listed})."


def _snooze_line(s: Snooze) -> str:
    why = f": {safe(s.reason, 100)}" if s.reason else ""
    return f"- {subject(s.account, 60)}, by <@{s.by}> until {stamp(s.until, 'f')}{why}"


def _ack_line(a: Ack) -> str:
    return (
        f"- {subject(a.account, 60)}: {a.kind} ending {stamp(a.ends_at)}, "
        f"by <@{a.by}> {stamp(a.at)}"
    )


def silences_text(snoozes: Sequence[Snooze], acks: Sequence[Ack]) -> str:
    """Every snooze (who, until when, why) and what is acknowledged, by whom."""
    lines = []
    if snoozes:
        lines += _listed("💤 Snoozed:", [_snooze_line(s) for s in snoozes])
    if acks:
        lines += _listed("✅ Acknowledged:", [_ack_line(a) for a in acks])
    return "\n".join(lines)


def _failed_line(item: SetAside) -> str:
    who = subject(item.account, 60)
    return f"- {item.kind} alert for {who}, {stamp(item.at)}: {safe(item.reason, 250)}"


def _health_line(h: AccountHealth) -> str:
    parts = []
    parts.append(f"soonest expiry {stamp(h.soonest)}" if h.soonest else "nothing expiring")
    parts.append(f"last read {stamp(h.last_success)}" if h.last_success else "never read")
    if h.failures:
        when = stamp(h.last_error_at) if h.last_error_at else ""
        parts.append(
            f"⚠️ {h.failures} failed checks in a row, last {when}: {safe(h.last_error or '', 200)}"
        )
    return " · ".join(parts)


def unusable_line(account: str, why: str) -> str:
    """A stored rule the bot skips, and what applies instead."""
    whose = "for all accounts" if account == ALL else f"of {subject(account, 60)}"
    return (
        f"⚠️ The rule {whose} cannot be used ({why}): the defaults apply until it is set "
        "again with `/alerts rules`"
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def routes_lines(routes: Routes) -> list[str]:
    """Where each kind of alert goes, one line a kind."""
    lines = [
        "Alerts of accounts without a channel of their own: "
        + (f"<#{routes.accounts}>" if routes.accounts else "nowhere")
    ]
    if routes.own:
        channels = ", ".join(f"<#{c}> ({_plural(n, 'account')})" for c, n in routes.own[:10])
        lines.append(f"Channels of accounts' own rules: {channels}")
    lines.append(
        "The useapi.net account and the digest: "
        + (f"<#{routes.team_wide}>" if routes.team_wide else "nowhere")
    )
    return lines


@dataclass(frozen=True)
class AlertsShown:
    """What `/alerts status` shows besides the settings."""

    health: Sequence[AccountHealth]
    running: bool
    leader: str | None
    last_run: datetime | None
    send_errors: Mapping[int, str]
    book: RuleBook
    useapi: UseapiAccount | str | None = None
    failed: Sequence[SetAside] = ()
    paces: Mapping[str, Sequence[Outlook]] = field(default_factory=dict)
    strangers: Sequence[tuple[str, int]] = ()
    snoozes: Sequence[Snooze] = ()
    acks: Sequence[Ack] = ()
    quiet: Sequence[Window] = ()
    now: datetime | None = None


def quiet_line(windows: Sequence[Window], now: datetime) -> str:
    """The quiet hours and whether they are in force (`/alerts status`, `/alerts quiet`)."""
    if not windows:
        return "Quiet hours: none (alerts ping at any hour)"
    end = quiet_until(windows, now)
    state = f"**in force** until {stamp(end, 't')} ({stamp(end)})" if end else "not in force now"
    return f"Quiet hours: {safe(describe(windows), 600)}: {state}"


def quiet_said(windows: Sequence[Window], now: datetime) -> str:
    """What `/alerts quiet` answers once the windows are set."""
    if not windows:
        return "Quiet hours are off: alerts ping at any hour."
    return (
        f"{quiet_line(windows, now)}.\nInside them alerts are still posted, without pings, and "
        "escalations wait until they end; an expiry step of 1 hour or less pings anyway."
    )


def status_embed(settings: Settings, shown: AlertsShown) -> discord.Embed:
    if not shown.book.channels():
        embed = status_off()
        if shown.strangers:
            embed.description = f"{embed.description}\n\n{strangers_text(shown.strangers)}"
        return embed
    every = shown.book.of(ALL)
    watched = (
        ", ".join(safe(a, 60) for a in settings.useapi_accounts)
        if settings.useapi_accounts
        else "every account in the useapi.net listing"
    )
    lines = [
        *routes_lines(Routes.of(shown.book)),
        f"For every account: {rule_line(every) or 'no channel (only accounts with a rule post)'}"
        + (
            "; accounts with a rule of their own show it below"
            if shown.book.rules.keys() - {ALL}
            else ""
        ),
        f"Checks every {settings.check_interval_minutes:g} minutes "
        + ("(running)" if shown.running else "(**not running**)"),
        f"Checked by: {safe(shown.leader, 100) if shown.leader else 'no process yet'}",
        f"Last check here: {stamp(shown.last_run) if shown.last_run else 'not yet'}",
        f"Watching: {watched}",
        quiet_line(shown.quiet, shown.now or datetime.now(UTC)),
    ]
    if shown.useapi is not None:
        lines.append(useapi_line(shown.useapi))
    for channel_id, error in shown.send_errors.items():
        lines.append(f"⚠️ Cannot post alerts in <#{channel_id}>: {safe(error, 300)}")
    lines += [unusable_line(account, why) for account, why in sorted(shown.book.unusable.items())]
    if shown.failed:
        lines.append(
            "⚠️ Alerts set aside unposted (Discord refused them for good and a short notice "
            "took their place, or their account had no channel):"
        )
        lines += [_failed_line(f) for f in shown.failed]
    if shown.snoozes or shown.acks:
        lines.append(silences_text(shown.snoozes, shown.acks))
    if shown.strangers:
        lines.append(strangers_text(shown.strangers))
    template = discord.Embed(
        title="Expiry alerts",
        description=limits.clip("\n".join(lines), limits.DESCRIPTION),
        colour=discord.Colour.red()
        if shown.send_errors or shown.failed
        else discord.Colour.blurple(),
    )
    fields = [
        (
            subject(h.account),
            " · ".join([_health_line(h), *(pace_words(o) for o in shown.paces.get(h.account, ()))])
            + (
                f"\nRules: {rule_line(shown.book.of(h.account))}"
                if h.account in shown.book.rules
                else ""
            ),
        )
        for h in shown.health
        if h.account != TOKEN_SUBJECT or h.failures
    ]
    template.set_footer(text=MORE.format(len(fields)))  # its room, kept while paginating
    first = limits.paginate(template, fields[: limits.FIELDS])[0]
    hidden = len(fields) - len(first.fields)
    if hidden:
        first.set_footer(text=MORE.format(hidden))
    else:
        first.remove_footer()
    return first


MORE = "…and {} more accounts not shown here"


def not_leading_embed(leader: str | None, settings: Settings) -> discord.Embed:
    who = safe(leader, 100) if leader else "another process of the bot"
    return discord.Embed(
        title="Checked by another process",
        description=f"The expiry checks run in {who}, every "
        f"{settings.check_interval_minutes:g} minutes; run `/alerts check` again to ask there "
        "(Discord picks the process that answers).",
        colour=discord.Colour.light_grey(),
    )


def report_embed(report: CheckReport) -> discord.Embed:
    posted = (
        f"posted {_plural(report.posted.messages, 'message')} with "
        f"{_plural(report.posted.alerts, 'alert')}"
        if report.posted.messages
        else "posted nothing"
    )
    lines = [f"Checked {_plural(len(report.accounts), 'account')}; {posted}."]
    for account, reason in list(report.failed.items())[:20]:
        lines.append(f"⚠️ {subject(account, 60)}: {safe(reason, 200)}")
    return discord.Embed(
        title="Expiry check done",
        description=limits.clip("\n".join(lines), limits.DESCRIPTION),
        colour=discord.Colour.orange() if report.failed else discord.Colour.green(),
    )
