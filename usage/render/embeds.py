"""Usage answers: the "use it or lose it" line, the /usage embed and the digest embed, and
for several accounts the team's: what expires unused at each account's own pace, what would
if the team spent from the account whose credits expire first, and that order.

Counts of credits are whole numbers (`credits`); paces keep a decimal below 10 a day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import discord

from chat import limits
from chat.fmt import amount, relative_and_full, stamp
from chat.limits import safe
from usage.domain.forecast import BatchForecast, whole
from usage.domain.outlook import Outlook
from usage.domain.pace import Gathering
from usage.domain.snapshot import Pool, Snapshot
from usage.domain.team import Team

CHART_FILE = "usage.png"
MAX_BATCH_LINES = 10
NONE_YET = "No usage history yet."
MAX_STEPS = 8  # accounts named in the order, at most
ORDER_TEXT = 700  # characters of the order, at most (it must fit a field with the rest)
ACCOUNT_NAME = 60  # characters of an account's name in a line
FIRST_EXPIRING = "If the team spends from the account whose credits expire first"


def credits(value: float) -> str:
    """A count of credits: whole, with thousands separators ("1,234")."""
    return f"{whole(value):,}"


def _prefix(pool: Pool) -> str:
    return "Audio: " if pool is Pool.AUDIO else ""


def _account(name: str) -> str:
    return f"**{safe(name, ACCOUNT_NAME)}**"


def outlook_line(o: Outlook) -> str:
    """One line: the pace, and what will expire unused at it (or that nothing will)."""
    words = o.pool.credits
    prefix = _prefix(o.pool)
    if isinstance(o.pace, Gathering) or o.forecast is None:
        since = o.pace.since if isinstance(o.pace, Gathering) else None
        if since is None:
            return f"{prefix}No usage history yet: a forecast needs a day of checks."
        ready = o.pace.ready_at if isinstance(o.pace, Gathering) else None
        when = f", forecast {stamp(ready)}" if ready else ""
        return f"{prefix}Still gathering usage history (since {stamp(since)}{when})."
    per_day = amount(o.pace.credits_per_day, whole_from=10)
    pace = f"At your pace (≈ {per_day} {words}/day over {o.pace.days:.0f} days)"
    lost = o.forecast.lost
    if not lost:
        text = f"{pace}, all of them will be used in time."
    else:
        losing = sum(1 for b in o.forecast.batches if b.lost)
        when = ", the first " if losing > 1 else " "
        first = f"{when}{stamp(o.first_loss)}" if o.first_loss else ""
        text = f"{pace}, about **{lost:,}** credits will expire unused{first}."
    if o.forecast.runs_out_at is not None:
        text += f" The balance runs out {stamp(o.forecast.runs_out_at)}."
    return prefix + text


def pace_words(o: Outlook) -> str:
    """The outlook in a few words, for a list of accounts."""
    pool = o.pool.words
    if o.forecast is None or isinstance(o.pace, Gathering):
        return f"{pool}: gathering history"
    text = f"{pool}: ≈ {amount(o.pace.credits_per_day, whole_from=10)}/day"
    lost = o.forecast.lost
    return text + (f", ~{lost:,} to expire unused" if lost else ", none wasted")


def batch_lines(o: Outlook) -> list[str]:
    """Each live batch of the pool and what of it expires unused at the pace."""
    return _batch_lines(o.forecast.batches, o.pool) if o.forecast is not None else []


def _batch_lines(batches: Sequence[BatchForecast], pool: Pool) -> list[str]:
    """One line a batch (named by its account, when it has one), soonest first."""
    lines = []
    for b in batches[:MAX_BATCH_LINES]:
        fate = (
            f"about **{b.lost:,}** unused"
            if b.lost
            else f"used up {stamp(b.used_up_at)}"
            if b.used_up_at
            else "used in time"
        )
        held = f"{_account(b.account)} · " if b.account else ""
        lines.append(
            f"⏳ {held}**{credits(b.batch.amount)}** {pool.credits} expire "
            f"{relative_and_full(b.batch.ends_at)}: {fate}"
        )
    if len(batches) > MAX_BATCH_LINES:
        lines.append(f"…and {len(batches) - MAX_BATCH_LINES} more batches.")
    return lines


def order_words(t: Team, budget: int = ORDER_TEXT) -> str:
    """ "use **a** until <date>, then **b** until <date>, …and 12 more": at most `MAX_STEPS`
    steps and `budget` characters; each step's date is when that account's credits in it are
    used up or expire."""
    steps = t.order
    if not steps:
        return "nothing left to spend"
    shown: list[str] = []
    for i, step in enumerate(steps):
        part = f"{'then' if i else 'use'} {_account(step.account)} until {stamp(step.until, 'f')}"
        more = f", …and {len(steps) - i} more"
        after = len(more) if i + 1 < len(steps) else 0  # room to say what is left after it
        if i and (i >= MAX_STEPS or len(", ".join([*shown, part])) + after > budget):
            return ", ".join(shown) + more
        shown.append(part)
    return ", ".join(shown)


def team_lines(t: Team) -> list[str]:
    """The team's figures for /usage and the digest: what expires unused at each account's
    own pace, what would if the team spent from the account whose credits expire first, and
    that order; the accounts not counted yet."""
    prefix = _prefix(t.pool)
    per_day = amount(t.per_day, whole_from=10)
    own = (
        f"about **{t.own_lost:,}** credits will expire unused"
        if t.own_lost
        else "all of them will be used in time"
    )
    lines = [
        f"{prefix}At each account's own pace (≈ {per_day} {t.pool.credits}/day in all), {own}."
    ]
    if len(t.paced) > 1:
        lines.append(f"{prefix}{FIRST_EXPIRING}, {_pooled(t)}: {order_words(t)}.")
    if t.gathering:
        names = ", ".join(_account(a) for a in t.gathering[:MAX_STEPS])
        more = f", …and {len(t.gathering) - MAX_STEPS} more" if len(t.gathering) > MAX_STEPS else ""
        lines.append(f"{prefix}Not counted yet (still gathering history): {names}{more}.")
    return lines


def _pooled(t: Team) -> str:
    saved = t.own_lost - t.pooled_lost
    fewer = f" ({saved:,} fewer)" if saved > 0 else ""
    return f"about **{t.pooled_lost:,}**{fewer}" if t.pooled_lost else f"none{fewer}"


def team_line(t: Team) -> str:
    """The team's figures in one line, for /credits."""
    prefix = _prefix(t.pool)
    if not t.own_lost:
        return f"{prefix}At each account's own pace all {t.pool.credits} are used in time."
    own = f"At each account's own pace about **{t.own_lost:,}** {t.pool.credits} expire unused"
    if len(t.paced) < 2:
        return f"{prefix}{own}."
    return f"{prefix}{own}; {FIRST_EXPIRING.lower()}, {_pooled(t)}: {order_words(t, 500)}."


def account_digest(latest: Snapshot | None, outlooks: Sequence[Outlook], now: datetime) -> str:
    """An account in the digest: its balance, what expires within 7 days, the forecast."""
    if latest is None:
        return NONE_YET
    video, audio = credits(latest.video), credits(latest.audio)
    balance = f"**{video}** {Pool.VIDEO.words} · **{audio}** {Pool.AUDIO.credits}"
    soon = sorted(
        (b for b in latest.batches if now < b.ends_at <= now + timedelta(days=7)),
        key=lambda b: b.ends_at,
    )
    lines = [balance]
    lines += [
        f"⏳ **{credits(b.amount)}** {b.pool.credits} expire {stamp(b.ends_at)}"
        for b in soon[:MAX_BATCH_LINES]
    ]
    if not soon:
        lines.append("Nothing expires in the next 7 days.")
    lines += [outlook_line(o) for o in outlooks]
    return "\n".join(lines)


def usage_embeds(
    *,
    title: str,
    days: int,
    spent: dict[Pool, float],
    outlooks: Sequence[Outlook],
    per_account: Sequence[tuple[str, str]] = (),
    teams: Sequence[Team] = (),
    now: datetime,
    chart: bool,
) -> list[discord.Embed]:
    """The /usage answer (and the digest's): spending, pace and forecast, one field per
    account when several are summed, the chart as the first embed's image. A pool with a
    team view (several accounts) shows it and its batches named by account, each at its
    account's own pace, in place of the summed outlook."""
    spent_text = " · ".join(f"**{credits(value)}** {pool.credits}" for pool, value in spent.items())
    lines = [f"Spent in the last {days} days: {spent_text or 'nothing recorded yet'}."]
    if not outlooks:
        lines.append(
            "No usage history yet: the bot keeps a snapshot of each account at every expiry "
            "check and every `/credits`; a pace and a forecast follow after a day of them."
        )
    by_pool = {t.pool: t for t in teams}
    for o in outlooks:
        if (t := by_pool.get(o.pool)) is not None:
            lines.extend(team_lines(t))
            lines.extend(_batch_lines(t.own, t.pool))
        else:
            lines.append(outlook_line(o))
            lines.extend(batch_lines(o))
    losing = any(t.own_lost for t in teams) or any(
        o.forecast and o.forecast.lost for o in outlooks if o.pool not in by_pool
    )
    template = discord.Embed(
        title=limits.clip(title, limits.TITLE),
        description=limits.clip("\n".join(lines), limits.DESCRIPTION),
        colour=discord.Colour.red() if losing else discord.Colour.green(),
        timestamp=now,
    )
    template.set_footer(text="Forecast assumes the batch that expires first is spent first.")
    fields = [(safe(account, limits.FIELD_NAME), text or NONE_YET) for account, text in per_account]
    embeds = limits.paginate(template, fields)
    if chart:
        embeds[0].set_image(url=f"attachment://{CHART_FILE}")
    return embeds
