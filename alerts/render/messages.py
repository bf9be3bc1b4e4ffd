"""Alert-channel messages rendered from outbox notices (plain data, so a retry renders the same)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import discord

from alerts.domain.conditions import RECOVERY_MARGIN, Condition
from alerts.domain.due import ExpiryKind
from alerts.domain.notices import (
    Escalated,
    ExpiringSoon,
    ExpiryItem,
    JobFailures,
    LowBalance,
    Notice,
    NoticeKind,
    Readable,
    Replacement,
    ResolvedReply,
    Resumed,
    RunningOut,
    StatsReadable,
    StatsUnreadable,
    Unreadable,
    UseapiTrouble,
)
from alerts.render.names import subject
from chat import limits
from chat.fmt import amount, relative_and_full, stamp
from chat.limits import pack_messages, safe
from state.moments import to_the_second
from usage.domain.jobs_view import causes
from usage.domain.snapshot import Pool

MAX_ITEMS = 20
TOP_CAUSES = 3
REF = "Alert ref"
REF_IN_TEXT = re.compile(rf"\({REF} (a[0-9a-f]{{24}})\)")


@dataclass(frozen=True)
class AlertMessage:
    """A message for the alert channel, ready to post; a field that is None is left out."""

    content: str | None
    embeds: list[discord.Embed] | None
    allowed_mentions: discord.AllowedMentions
    files: list[discord.File] | None = None
    view: discord.ui.View | None = None  # the buttons and menu, for the alerts that have them
    reference: tuple[int, int] | None = None  # (channel, message) a reply answers


def _hours(threshold: float) -> str:
    return f"{threshold:g} hour" + ("" if threshold == 1 else "s")


def _credits(pool: str) -> str:
    """The credits of a pool by its value as a notice keeps it (an unknown value as it is)."""
    try:
        return Pool(pool).credits
    except ValueError:
        return pool


def _item_line(item: ExpiryItem) -> str:
    when = relative_and_full(item.ends_at)
    within = f"within {_hours(item.threshold)}"
    if item.kind is ExpiryKind.SESSION:
        return (
            f"🔑 The MiniMax session expires {when} ({within}): re-add the account at "
            "useapi.net (log in to MiniMax again) before then, or it stops working."
        )
    line = f"⏳ **{amount(item.credit)}** {_credits(item.kind)} expire {when} ({within})"
    if item.per_day is None or item.unused is None:
        return line
    pace = f"at your pace (≈ {amount(round(item.per_day, 1))} a day)"
    if item.unused < 0.5:
        return f"{line}\n  ↳ {pace} they will all be used in time."
    unused = amount(round(item.unused))
    return (
        f"{line}\n  ↳ {pace}, about **{unused}** of them will expire unused: use them or lose them."
    )


def notice_embed(notice: Notice) -> discord.Embed:
    who = subject(notice.account)
    match notice.payload:
        case Unreadable(title=title, advice=advice):
            return _embed(
                f"Can't read {who}",
                f"{safe(title, 300)}. {safe(advice, 500)}\n"
                "Expiry alerts for it are paused until it can be read again.",
                discord.Colour.dark_red(),
                notice,
            )
        case Readable():
            return _embed(
                f"{who[0].upper()}{who[1:]} is readable again",
                "Expiry alerts for it are back on.",
                discord.Colour.green(),
                notice,
            )
        case ExpiringSoon(items=items):
            return _expiry_embed(who, sorted(items, key=lambda i: (i.ends_at, i.kind)), notice)
        case Resumed(until=until, by=by):
            return _embed(
                f"Alerts for {who} resume",
                f"The snooze by <@{by}> until {stamp(until, 'f')} is over: what is still due "
                "follows.",
                discord.Colour.blurple(),
                notice,
            )
        case LowBalance(pool=pool, balance=balance, threshold=threshold):
            return _embed(
                f"Low balance on {who}",
                f"🪫 **{amount(round(balance, 1))}** {_credits(pool)} left, below "
                f"the {amount(threshold)} of its rule. Top up at hailuoai.video or "
                "minimax.io before jobs stop. (Said once: again only after the balance has "
                "been back at or above it.)",
                discord.Colour.orange(),
                notice,
            )
        case RunningOut(pool=pool, balance=balance, per_day=per_day, at=at, days=days):
            return _embed(
                f"Running out on {who}",
                f"📉 At your pace (≈ {amount(round(per_day, 1))} a day), the "
                f"**{amount(round(balance, 1))}** {_credits(pool)} left run out "
                f"{relative_and_full(at)}: within the {days:g} days of its rule. Top up or "
                "slow down before then.",
                discord.Colour.orange(),
                notice,
            )
        case UseapiTrouble():
            return _useapi_embed(notice.payload, notice)
        case JobFailures():
            return _failures_embed(who, notice.payload, notice)
        case StatsUnreadable(title=title, advice=advice, failed=failed, reads=reads):
            of = f" ({failed} of {reads} reads in the last run failed)" if reads else ""
            return _embed(
                "Can't read job statistics",
                f"useapi.net's job statistics could not be read three times in a row{of}: "
                f"{safe(title, 300)}. {safe(advice, 500)}\nThe days missed are read again "
                "when it works; expiry alerts are not affected.",
                discord.Colour.dark_red(),
                notice,
            )
        case StatsReadable():
            return _embed(
                "Job statistics readable again",
                "useapi.net's job statistics can be read again; the days missed are read now.",
                discord.Colour.green(),
                notice,
            )
    raise ValueError(f"no embed for a {notice.kind} notice")


def _useapi_embed(trouble: UseapiTrouble, notice: Notice) -> discord.Embed:
    if trouble.what == Condition.SUBSCRIPTION:
        if trouble.cleared:
            title, text = "useapi.net subscription back to normal", "It is active again."
        else:
            title = "useapi.net subscription not active"
            text = (
                "useapi.net says the subscription behind the API token is not active: every "
                "request will fail (402). Renew it at useapi.net."
            )
    elif trouble.cleared:
        title = "useapi.net accounts back to normal"
        text = "No MiniMax account is in an error state at useapi.net any more."
    else:
        title = "MiniMax accounts in error at useapi.net"
        of = "" if trouble.total is None else f" of {trouble.total}"
        text = (
            f"useapi.net reports **{trouble.errors}**{of} MiniMax accounts with outstanding "
            "issues: check them at useapi.net (an account may need to be added again)."
        )
    colour = discord.Colour.green() if trouble.cleared else discord.Colour.dark_red()
    return _embed(title, text, colour, notice)


def _percent(rate: float) -> str:
    return f"{rate:.0f} %" if rate >= 1 or rate == 0 else f"{rate:.1g} %"


def _failures_embed(who: str, failures: JobFailures, notice: Notice) -> discord.Embed:
    recover = min(100.0, failures.threshold + RECOVERY_MARGIN)
    if failures.cleared:
        return _embed(
            f"Jobs succeed again on {who}",
            f"✅ **{_percent(failures.rate)}** of its last {failures.jobs} jobs succeeded, "
            f"at least the {recover:g} % that ends the job failure alert.",
            discord.Colour.green(),
            notice,
        )
    lines = [
        f"❌ Only **{_percent(failures.rate)}** of its last {failures.jobs} jobs succeeded, "
        f"below the {failures.threshold:g} % of its rule."
    ]
    found = causes(dict(failures.failed))
    if found:
        lines.append("\nWhy they failed:")
    for cause in found[:TOP_CAUSES]:
        jobs = f"{cause.jobs} job" + ("" if cause.jobs == 1 else "s")
        advice = f": {cause.advice}" if cause.advice else ""
        lines.append(f"- {safe(cause.words, 100)} ({jobs}){advice}")
    if len(found) > TOP_CAUSES:
        lines.append(f"- …and {len(found) - TOP_CAUSES} more causes (`/usage view:jobs`).")
    lines.append(
        f"\n(Said once: again only after at least {recover:g} % of its jobs have succeeded.)"
    )
    return _embed(f"Job failures on {who}", "\n".join(lines), discord.Colour.dark_red(), notice)


def _embed(title: str, description: str, colour: discord.Colour, notice: Notice) -> discord.Embed:
    return discord.Embed(
        title=limits.clip(title, limits.TITLE),
        description=description,
        colour=colour,
        timestamp=notice.created_at,
    )


def _expiry_embed(who: str, items: list[ExpiryItem], notice: Notice) -> discord.Embed:
    lines = [_item_line(i) for i in items[:MAX_ITEMS]]
    if len(items) > MAX_ITEMS:
        lines.append(f"…and {len(items) - MAX_ITEMS} more.")
    if any(i.kind is not ExpiryKind.SESSION for i in items):
        lines.append("\nUse the credits before they expire: they are not refunded.")
    severe = min((i.threshold for i in items), default=72.0)
    return discord.Embed(
        title=limits.clip(f"Expiring soon on {who}", limits.TITLE),
        description=limits.clip("\n".join(lines), limits.DESCRIPTION),
        colour=discord.Colour.red() if severe <= 24 else discord.Colour.orange(),
        timestamp=notice.created_at,
    )


def refused_message(notice: Notice, replacement: Replacement) -> AlertMessage:
    """Plain text of ours, with nothing from upstream, where Discord refused an alert for good:
    whatever it disliked in the first one is not in this one."""
    about = "An expiry alert" if replacement.about is NoticeKind.EXPIRY else "An alert"
    return AlertMessage(
        f"⚠️ {about} could not be posted here: {replacement.reason}. "
        f"A server manager can see which one with `/alerts status`. ({REF} {notice.nonce})",
        None,
        discord.AllowedMentions.none(),
    )


def refs_in(content: str | None, footers: list[str | None]) -> list[str]:
    """The alert refs (nonces) a message of ours carries, in its footers or its text."""
    found = [f.removeprefix(f"{REF} ") for f in footers if f and f.startswith(f"{REF} ")]
    return found + REF_IN_TEXT.findall(content or "")


def waited_words(seconds: float) -> str:
    """How long an alert has waited, in the largest whole unit ("2 hours", "45 seconds")."""
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if seconds >= size or size == 1:
            count = max(1, int(seconds // size))
            return f"{count} {unit}" + ("" if count == 1 else "s")
    raise AssertionError  # the loop always returns


def escalation_message(notice: Notice, escalated: Escalated) -> AlertMessage:
    """The follow-up of an alert nobody answered: a reply under it pinging its role."""
    names = ", ".join(subject(a, 60) for a in escalated.accounts[:10])
    again = f" (follow-up {escalated.nth})" if escalated.nth > 1 else ""
    text = (
        f"⏫ Nobody has answered this alert about {names} for "
        f"{waited_words(escalated.waited)}{again}: acknowledge or snooze it above. "
        f"({REF} {notice.nonce})"
    )
    role = escalated.role_id
    mentions = (
        discord.AllowedMentions(everyone=False, users=False, roles=[discord.Object(role)])
        if role
        else discord.AllowedMentions.none()
    )
    content = limits.clip(f"<@&{role}> {text}" if role else text, limits.CONTENT)
    return AlertMessage(
        content, None, mentions, reference=(escalated.channel_id, escalated.message_id)
    )


def resolved_reply_message(notice: Notice, reply: ResolvedReply) -> AlertMessage:
    """The one short reply under an escalated alert whose cause ended."""
    who = subject(reply.account, 60)
    text = f"☑️ Resolved for {who}: {safe(reply.line, 300)}. ({REF} {notice.nonce})"
    return AlertMessage(
        limits.clip(text, limits.CONTENT),
        None,
        discord.AllowedMentions.none(),
        reference=(reply.channel_id, reply.message_id),
    )


def alert_message(notice: Notice, role_id: int | None) -> AlertMessage:
    """The message for `notice`: pings `role_id` and nothing else, when configured."""
    if isinstance(notice.payload, Replacement):
        return refused_message(notice, notice.payload)
    if isinstance(notice.payload, Escalated):
        return escalation_message(notice, notice.payload)
    if isinstance(notice.payload, ResolvedReply):
        return resolved_reply_message(notice, notice.payload)
    embed = _with_ref(notice_embed(notice), notice)
    return _pinging(_summary([notice], [embed]), [embed], role_id)


def _with_ref(embed: discord.Embed, notice: Notice) -> discord.Embed:
    return embed.set_footer(text=f"{REF} {notice.nonce}")


def _pinging(summary: str, embeds: list[discord.Embed], role_id: int | None) -> AlertMessage:
    """`summary` with the embeds; pings `role_id` and nothing else, when configured."""
    if role_id:
        return AlertMessage(
            f"<@&{role_id}> {summary}",
            embeds,
            discord.AllowedMentions(everyone=False, users=False, roles=[discord.Object(role_id)]),
        )
    return AlertMessage(summary, embeds, discord.AllowedMentions.none())


ANSWER_FIELD = "Answered"
RESOLVED_FIELD = "Resolved"
ANSWER_LINE = 140  # the longest answer line shown (who acknowledged or snoozed, and when)
RESOLVED_LINE = 120  # the longest resolution line shown (when, and what changed)
ANSWER_ROOM = ANSWER_LINE + RESOLVED_LINE + len(ANSWER_FIELD) + len(RESOLVED_FIELD)
"""Characters kept free in each alert embed for the answer and the resolution added later."""


def alert_messages(
    notices: Sequence[Notice], role_id: int | None
) -> list[tuple[list[Notice], AlertMessage]]:
    """The messages for `notices` (one notice, or alerts due together: an embed per account,
    in order, in as many messages as Discord's limits need with room left in each embed for
    the answer a press adds), with the notices each carries; every embed is rendered once."""
    if len(notices) == 1:
        return [([notices[0]], alert_message(notices[0], role_id))]
    rendered = [(_with_ref(notice_embed(n), n), n) for n in notices]
    of = {id(embed): notice for embed, notice in rendered}
    found = []
    for embeds in pack_messages([embed for embed, _ in rendered], reserve=ANSWER_ROOM):
        unit = [of[id(embed)] for embed in embeds]
        found.append((unit, _pinging(_summary(unit, embeds), embeds, role_id)))
    return found


def _summary(notices: Sequence[Notice], embeds: Sequence[discord.Embed]) -> str:
    accounts = {n.account for n in notices}
    if len(notices) == 1:
        return embeds[0].title or "MiniMax alert"
    if len(accounts) > 1:
        return f"Alerts for {len(accounts)} accounts"
    return f"Alerts for {subject(notices[0].account)}"


def acknowledged_line(user_id: int, at: datetime, *, batches: bool = True) -> str:
    """Who acknowledged and when; with `batches` (expiring credits or sessions among what
    was acknowledged), that their later steps are not posted."""
    said = f"✅ Acknowledged by <@{user_id}> {stamp(at)}"
    return f"{said}: later steps for these are not posted." if batches else f"{said}."


def snoozed_line(user_id: int, until: datetime) -> str:
    return f"💤 Snoozed by <@{user_id}> until {relative_and_full(until)}: no alerts until then."


def already_line(already: Mapping[str, str]) -> str:
    """What a press whose accounts were all answered before it is told: who answered each
    and how (the first answer stands)."""
    by_line: dict[str, list[str]] = {}
    for account, line in already.items():
        by_line.setdefault(line, []).append(account)
    parts = []
    for line, accounts in by_line.items():
        names = ", ".join(safe(a, 60) for a in accounts)
        were = f"Accounts {names} were" if len(accounts) > 1 else f"Account {names} was"
        parts.append(f"{were} answered already: {line}")
    return limits.clip(" ".join(parts), limits.CONTENT)


RESOLVED_COLOUR = discord.Colour.dark_grey()


def resolved_line(reason: str, at: datetime) -> str:
    return f"☑️ {stamp(at, 'f')}: {safe(reason, 80)}."


def alert_embeds(notices: Sequence[Notice]) -> list[discord.Embed]:
    """The embeds of an alert message as it was posted, one per notice, in order."""
    return [_with_ref(notice_embed(n), n) for n in notices]


def _nonce_of(embed: discord.Embed) -> str | None:
    found = refs_in(None, [embed.footer.text])
    return found[0] if found else None


def with_answers(
    embeds: Sequence[discord.Embed],
    accounts: Sequence[str],
    said: Mapping[str, str],
    resolved: Mapping[str, tuple[str, datetime]] | None = None,
) -> list[discord.Embed]:
    """The message's embeds (one per account, in order) with what the team answered, and,
    for the alerts whose cause ended (`resolved`, by the nonce in the embed's footer), that
    they are resolved and when, in a muted colour."""
    answered = []
    for embed, account in zip(embeds, accounts, strict=False):
        copy = embed.copy()
        copy.clear_fields()
        for field in embed.fields:
            if field.name not in (ANSWER_FIELD, RESOLVED_FIELD):
                copy.add_field(name=field.name or "", value=field.value or "", inline=False)
        if account in said:
            copy.add_field(name=ANSWER_FIELD, value=limits.clip(said[account], ANSWER_LINE))
        if resolved and (found := resolved.get(_nonce_of(embed) or "")) is not None:
            line = resolved_line(*found)
            copy.add_field(name=RESOLVED_FIELD, value=limits.clip(line, RESOLVED_LINE))
            copy.colour = RESOLVED_COLOUR
        answered.append(copy)
    return answered


SAMPLE_ACCOUNT = "example"
SAMPLE_FOOTER = "This is a test: nothing is expiring, and its buttons change nothing."


def sample_notice(now: datetime) -> Notice:
    """What `/alerts test` posts: a made-up alert that says it is a test."""
    ends = to_the_second(now) + timedelta(hours=20)
    item = ExpiryItem(ExpiryKind.VIDEO, 100, ends, 24)
    return Notice("test", SAMPLE_ACCOUNT, ExpiringSoon((item,)), now)


def sample_alert(now: datetime) -> AlertMessage:
    """The sample alert of `/alerts test`, its footer saying it is one (no buttons yet)."""
    rendered = alert_message(sample_notice(now), None)
    assert rendered.embeds
    rendered.embeds[0].set_footer(text=SAMPLE_FOOTER)
    return rendered


def sample_pressed(line: str, embeds: Sequence[discord.Embed]) -> tuple[str, list[discord.Embed]]:
    """What the presser of a sample button is told: that it is a sample and changed nothing,
    and the sample's embed as a real press would have left it, answered with `line`."""
    said = (
        "This is the sample alert of `/alerts test`: nothing was acknowledged or snoozed, and "
        "no other alert changed. On a real alert, the message would now show this:"
    )
    return said, with_answers(embeds[:1], [SAMPLE_ACCOUNT], {SAMPLE_ACCOUNT: line})
