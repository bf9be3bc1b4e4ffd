"""What the /usage chart shows and says: one pool's balance history, its batch expiries and
the projection at the pace, and the words under the title and in the alt text.

Pure, no Pillow and no Discord: `usage.render.chart_draw` turns this into the PNG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from chat.fmt import amount
from chat.limits import clip
from usage.domain.forecast import projected, whole
from usage.domain.outlook import Outlook
from usage.domain.snapshot import Pool, Snapshot, in_time_order

ALT_TEXT_LIMIT = 1024  # Discord's limit for an attachment's description
MAX_EXPIRIES_TOLD = 8

Point = tuple[datetime, float]


@dataclass(frozen=True)
class Expiry:
    """A batch's end: `amount` credits, of which `unused` expire at the pace (None: unknown)."""

    at: datetime
    amount: float
    unused: float | None = None


@dataclass(frozen=True)
class ChartData:
    """What one chart shows: one pool's balance (of an account, or the sum of several)."""

    title: str
    now: datetime
    history: tuple[Point, ...] = ()
    expiries: tuple[Expiry, ...] = ()
    projected: tuple[Point, ...] = ()
    per_day: float | None = None  # None: not enough history for a pace yet
    unit: str = "credits"

    @property
    def balance(self) -> float | None:
        """The latest balance in the history."""
        known = [p for p in self.history if math.isfinite(p[1])]
        return max(known, key=lambda p: p[0])[1] if known else None

    @property
    def unused(self) -> float | None:
        known = [e.unused for e in self.expiries if e.unused is not None]
        return sum(known) if known else None


def usage_chart(
    history: Sequence[Snapshot],
    pool: Pool,
    outlook: Outlook | None,
    now: datetime,
    *,
    title: str,
    unit: str | None = None,
    since: datetime | None = None,
) -> ChartData:
    """The chart of one pool of one account (or of the sum of several): its history from
    `since` and its live batches, with the pace and forecast of `outlook`, the outlook of
    the same history (None: the pool has none)."""
    if outlook is not None and outlook.pool is not pool:
        raise ValueError(f"the outlook is of the {outlook.pool} pool, the chart of {pool}")
    ordered = [s for s in in_time_order(history) if s.at <= now]
    points = tuple((s.at, float(s.total(pool))) for s in ordered if since is None or s.at >= since)
    result = outlook.forecast if outlook is not None else None
    ends: list[tuple[datetime, float, float | None]]
    if result is None:
        live = ordered[-1].batches_of(pool) if ordered else ()
        ends = [(b.ends_at, max(0.0, b.amount), None) for b in live if b.ends_at > now]
        proj: tuple[Point, ...] = ()
    else:
        ends = [(r.batch.ends_at, max(0.0, r.batch.amount), r.unused) for r in result.batches]
        # Credits without an end time (a total above the batches' sum) stay on top of it.
        extra = max(0.0, points[-1][1] - result.balance) if points else 0.0
        proj = tuple((t, v + extra) for t, v in projected(result, now))
    merged: dict[datetime, Expiry] = {}
    for at, credits, unused in sorted(ends, key=lambda e: e[0]):
        if (same := merged.get(at)) is not None:  # batches ending together are one marker
            credits += same.amount
            unused = None if unused is None or same.unused is None else unused + same.unused
        merged[at] = Expiry(at, credits, unused)
    return ChartData(
        title=title,
        now=now,
        history=points,
        expiries=tuple(merged.values()),
        projected=proj,
        per_day=result.per_day if result is not None else None,
        unit=unit or pool.credits,
    )


@dataclass(frozen=True)
class Captions:
    """The chart in words: `summary`, the line under its title, and `alt_text`, the
    attachment's description. The same facts, short and long."""

    summary: str
    alt_text: str


def captions(data: ChartData, limit: int = ALT_TEXT_LIMIT) -> Captions:
    """The summary line and the alt text (at most `limit` characters) of the chart."""
    unit = clip(data.unit, 60)
    short: list[str] = []
    long = [_what_is_shown(data, unit)]
    if data.balance is not None:
        balance = amount(whole(data.balance), compact=True)
        short.append(f"Balance {balance}")
        long.append(f"Current balance: {balance} {unit}.")
    if data.per_day is None:
        short.append("pace: after 24 h of history")
        long.append("Pace: not known yet, it needs 24 hours of history.")
    else:
        per_day = amount(data.per_day, whole_from=100, compact=True)
        short.append(f"spending {per_day}/day")
        long.append(f"Pace: {per_day} {unit} a day.")
    long.append(_expiring(data.expiries))
    unused = data.unused
    if unused is not None:  # then there are expiries
        lost = amount(whole(unused), compact=True)
        wasted = unused >= 0.5
        if data.per_day is not None:
            short.append(f"{lost} will expire unused" if wasted else "nothing expires unused")
        long.append(
            f"At this pace {lost} {unit} expire unused."
            if wasted
            else "At this pace nothing expires unused."
        )
    summary = " · ".join(short) if data.history or data.expiries else ""
    return Captions(summary=summary, alt_text=clip(" ".join(long), limit))


def expiry_label(e: Expiry, when: str = "") -> str:
    """ "105 (70 unused)": the credits, `when` they expire, and what of them goes unused."""
    label = amount(whole(e.amount), compact=True) + when
    if e.unused is None:
        return label
    if e.unused >= 0.5:
        return f"{label} ({amount(whole(e.unused), compact=True)} unused)"
    return f"{label} (all used)"


def _what_is_shown(data: ChartData, unit: str) -> str:
    title = clip(data.title, 200)
    if data.history:
        first, last = min(t for t, _ in data.history), max(t for t, _ in data.history)
        shown = f"Chart of {title}: {unit} balance from {_day(first)} to {_day(last)}"
    else:
        shown = f"Chart of {title}: no {unit} balance recorded yet"
    if data.projected:
        end = max(t for t, _ in (*data.history, *data.projected))
        shown += f", projected at the current pace to {_day(end)}"
    return shown + " (UTC)."


def _expiring(expiries: Sequence[Expiry]) -> str:
    if not expiries:
        return "No credits are due to expire."
    items = [expiry_label(e, f" on {_moment(e.at)}") for e in expiries[:MAX_EXPIRIES_TOLD]]
    if len(expiries) > MAX_EXPIRIES_TOLD:
        items.append(f"and {len(expiries) - MAX_EXPIRIES_TOLD} more")
    return "Expiring: " + "; ".join(items) + "."


def _day(when: datetime) -> str:
    when = when.astimezone(UTC)
    return f"{when.day} {when:%b %Y}"


def _moment(when: datetime) -> str:
    when = when.astimezone(UTC)
    return f"{when.day} {when:%b %Y %H:%M} UTC"
