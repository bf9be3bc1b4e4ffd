"""Usage answers: the "use it or lose it" line, the /usage embed and the digest embed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import discord

from chat import limits
from chat.fmt import amount, relative_and_full, stamp
from chat.limits import safe
from usage.domain.outlook import Outlook
from usage.domain.pace import Gathering
from usage.domain.snapshot import Pool, Snapshot

CHART_FILE = "usage.png"
MAX_BATCH_LINES = 10
NONE_YET = "No usage history yet."


def outlook_line(o: Outlook) -> str:
    """One line: the pace, and what will expire unused at it (or that nothing will)."""
    words = o.pool.credits
    prefix = "Audio: " if o.pool is Pool.AUDIO else ""
    if isinstance(o.pace, Gathering) or o.forecast is None:
        since = o.pace.since if isinstance(o.pace, Gathering) else None
        if since is None:
            return f"{prefix}No usage history yet: a forecast needs a day of checks."
        ready = o.pace.ready_at if isinstance(o.pace, Gathering) else None
        when = f", forecast {stamp(ready)}" if ready else ""
        return f"{prefix}Still gathering usage history (since {stamp(since)}{when})."
    per_day = amount(o.pace.credits_per_day, whole_from=10)
    pace = f"At your pace (≈ {per_day} {words}/day over {o.pace.days:.0f} days)"
    unused = o.forecast.total_unused
    if unused < 0.5:
        text = f"{pace}, all of them will be used in time."
    else:
        losing = sum(1 for b in o.forecast.batches if b.unused >= 0.5)
        when = ", the first " if losing > 1 else " "
        first = f"{when}{stamp(o.first_loss)}" if o.first_loss else ""
        lost = amount(unused, whole_from=10)
        text = f"{pace}, about **{lost}** credits will expire unused{first}."
    if o.forecast.runs_out_at is not None:
        text += f" The balance runs out {stamp(o.forecast.runs_out_at)}."
    return prefix + text


def pace_words(o: Outlook) -> str:
    """The outlook in a few words, for a list of accounts."""
    pool = o.pool.words
    if o.forecast is None or isinstance(o.pace, Gathering):
        return f"{pool}: gathering history"
    text = f"{pool}: ≈ {amount(o.pace.credits_per_day, whole_from=10)}/day"
    unused = o.forecast.total_unused
    return text + (
        f", ~{amount(unused, whole_from=10)} to expire unused" if unused >= 0.5 else ", none wasted"
    )


def batch_lines(o: Outlook) -> list[str]:
    """Each live batch of the pool and what of it expires unused at the pace."""
    if o.forecast is None:
        return []
    lines = []
    for b in o.forecast.batches[:MAX_BATCH_LINES]:
        fate = (
            f"about **{amount(b.unused, whole_from=10)}** unused"
            if b.unused >= 0.5
            else f"used up {stamp(b.used_up_at)}"
            if b.used_up_at
            else "used in time"
        )
        lines.append(
            f"⏳ **{amount(round(b.batch.amount, 2))}** {o.pool.credits} expire "
            f"{relative_and_full(b.batch.ends_at)}: {fate}"
        )
    if len(o.forecast.batches) > MAX_BATCH_LINES:
        lines.append(f"…and {len(o.forecast.batches) - MAX_BATCH_LINES} more batches.")
    return lines


def account_digest(latest: Snapshot | None, outlooks: Sequence[Outlook], now: datetime) -> str:
    """An account in the digest: its balance, what expires within 7 days, the forecast."""
    if latest is None:
        return NONE_YET
    video, audio = amount(latest.video, whole_from=10), amount(latest.audio, whole_from=10)
    balance = f"**{video}** {Pool.VIDEO.words} · **{audio}** {Pool.AUDIO.credits}"
    soon = sorted(
        (b for b in latest.batches if now < b.ends_at <= now + timedelta(days=7)),
        key=lambda b: b.ends_at,
    )
    lines = [balance]
    lines += [
        f"⏳ **{amount(b.amount, whole_from=10)}** {b.pool.credits} expire {stamp(b.ends_at)}"
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
    now: datetime,
    chart: bool,
) -> list[discord.Embed]:
    """The /usage answer (and the digest's): spending, pace and forecast, one field per
    account when several are summed, the chart as the first embed's image."""
    spent_text = " · ".join(
        f"**{amount(value, whole_from=10)}** {pool.credits}" for pool, value in spent.items()
    )
    lines = [f"Spent in the last {days} days: {spent_text or 'nothing recorded yet'}."]
    if not outlooks:
        lines.append(
            "No usage history yet: the bot keeps a snapshot of each account at every expiry "
            "check and every `/credits`; a pace and a forecast follow after a day of them."
        )
    for o in outlooks:
        lines.append(outlook_line(o))
        lines.extend(batch_lines(o))
    template = discord.Embed(
        title=limits.clip(title, limits.TITLE),
        description=limits.clip("\n".join(lines), limits.DESCRIPTION),
        colour=discord.Colour.red()
        if any(o.forecast and o.forecast.total_unused >= 0.5 for o in outlooks)
        else discord.Colour.green(),
        timestamp=now,
    )
    template.set_footer(text="Forecast assumes the batch that expires first is spent first.")
    fields = [(safe(account, limits.FIELD_NAME), text or NONE_YET) for account, text in per_account]
    embeds = limits.paginate(template, fields)
    if chart:
        embeds[0].set_image(url=f"attachment://{CHART_FILE}")
    return embeds
