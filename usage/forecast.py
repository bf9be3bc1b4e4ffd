"""Spending pace and expiry forecast from the credit snapshots taken at every check.

Pure functions of frozen dataclasses: no I/O, no Discord. Video/image and audio credits
are separate pools everywhere; every function that reads totals takes the `Pool`.
All datetimes are timezone-aware.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Any

from minimax_api import CreditBatch, Features

DAY = timedelta(days=1)
MIN_HISTORY = timedelta(hours=24)
"""Less history than this in the window gives no pace: one busy hour is not a pace."""
PACE_WINDOW = timedelta(days=7)

SAME_BATCH = timedelta(minutes=10)
"""End times this close are one batch (upstream's end times wobble by seconds between reads);
the same tolerance as the expiry alerts use."""

KEEP = timedelta(days=90)
"""Snapshots older than this are dropped."""
HOURLY_AFTER = timedelta(days=2)
"""Hours that ended longer ago than this keep one snapshot each; newer ones keep all."""
DAILY_AFTER = timedelta(days=14)
"""UTC days that ended longer ago than this keep one snapshot each."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Pool(StrEnum):
    """Which credits: MiniMax keeps video/image and audio credits apart."""

    VIDEO = "video"  # video and image generation (hailuoai.video)
    AUDIO = "audio"  # minimax.io/audio


def _aware(when: datetime, what: str) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {when!r}")


@dataclass(frozen=True)
class Batch:
    """Credits that expire together: `amount` left of them, gone at `ends_at`."""

    kind: Pool
    amount: float
    ends_at: datetime

    def __post_init__(self) -> None:
        _aware(self.ends_at, "Batch.ends_at")


@dataclass(frozen=True)
class Snapshot:
    """One account's credits as read at `at`: both pools' totals and their batches."""

    at: datetime
    video: float
    audio: float
    batches: tuple[Batch, ...] = ()

    def __post_init__(self) -> None:
        _aware(self.at, "Snapshot.at")

    def total(self, pool: Pool) -> float:
        return self.video if pool is Pool.VIDEO else self.audio

    def batches_of(self, pool: Pool) -> tuple[Batch, ...]:
        return tuple(b for b in self.batches if b.kind == pool)

    def to_json(self) -> dict[str, Any]:
        """A compact JSON-ready dict: times as whole epoch seconds, batches as lists."""
        return {
            "at": _epoch(self.at),
            "video": _compact(self.video),
            "audio": _compact(self.audio),
            "batches": [
                [b.kind.value, _compact(b.amount), _epoch(b.ends_at)] for b in self.batches
            ],
        }

    @classmethod
    def from_json(cls, data: Any) -> Snapshot:
        """The inverse of `to_json` (to the second); ValueError when `data` is not one."""
        try:
            return cls(
                at=_from_epoch(data["at"]),
                video=_finite(data["video"]),
                audio=_finite(data["audio"]),
                batches=tuple(
                    Batch(Pool(kind), _finite(amount), _from_epoch(ends))
                    for kind, amount, ends in data["batches"]
                ),
            )
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"not a stored snapshot: {exc!r}") from exc


def _epoch(when: datetime) -> int:
    return math.floor((when - _EPOCH).total_seconds())


def _from_epoch(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"epoch seconds expected, got {value!r}")
    return _EPOCH + timedelta(seconds=value)


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TypeError(f"a finite number expected, got {value!r}")
    return value


def _compact(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def snapshot_of(features: Features) -> Snapshot:
    """The snapshot of one read of an account, taken at `features.fetched_at`.

    A missing total counts as the sum of its batches; batches without an amount or an end
    time are left out (nothing to forecast about them).
    """

    def batches(kind: Pool, raw: Iterable[CreditBatch]) -> list[Batch]:
        return [
            Batch(kind, float(b.credit), b.expires_at)
            for b in raw
            if b.credit is not None and b.expires_at is not None
        ]

    video = batches(Pool.VIDEO, features.credit_batches)
    audio = batches(Pool.AUDIO, features.audio.batches if features.audio else ())
    video_total = features.total_credits
    audio_total = features.audio.total if features.audio else None
    return Snapshot(
        at=features.fetched_at,
        video=float(video_total if video_total is not None else sum(b.amount for b in video)),
        audio=float(audio_total if audio_total is not None else sum(b.amount for b in audio)),
        batches=(*video, *audio),
    )


# --- spending and pace -------------------------------------------------------------------


def _ordered(history: Iterable[Snapshot]) -> list[Snapshot]:
    return sorted(history, key=lambda s: s.at)


def _listed(batch: Batch, snapshot: Snapshot) -> bool:
    return any(
        b.kind == batch.kind and abs(b.ends_at - batch.ends_at) <= SAME_BATCH
        for b in snapshot.batches
    )


def spent_between(earlier: Snapshot, later: Snapshot, pool: Pool) -> float:
    """Credits of `pool` spent from `earlier` to `later`, two consecutive snapshots.

    Only a drop is spending: a rise is a top-up, a renewal or a new batch. A batch listed in
    `earlier` that ended by `later.at` and is no longer listed in `later` expired: its amount
    left the total without anyone spending it, so it is taken off the drop (never below 0).
    A batch still listed although its end time passed (upstream is late to drop it) is
    taken off when it disappears, where its amount leaves the total.
    """
    drop = earlier.total(pool) - later.total(pool)
    if drop <= 0:
        return 0.0
    expired = sum(
        max(0.0, b.amount)
        for b in earlier.batches_of(pool)
        if b.ends_at <= later.at and not _listed(b, later)
    )
    return max(0.0, drop - expired)


def spending(history: Iterable[Snapshot], pool: Pool, since: datetime, until: datetime) -> float:
    """Credits of `pool` spent between the snapshots taken from `since` to `until` (inclusive).

    The same rule as `pace`: see `spent_between`. What happened before the first or after
    the last snapshot inside the period is not known and not counted.
    """
    inside = [s for s in _ordered(history) if since <= s.at <= until]
    return sum((spent_between(a, b, pool) for a, b in pairwise(inside)), 0.0)


@dataclass(frozen=True)
class Pace:
    """Credits spent per day, over the `days` of history the window actually covered."""

    credits_per_day: float
    days: float
    spent: float


@dataclass(frozen=True)
class Gathering:
    """Not enough history for a pace yet; `since` is the oldest snapshot in the window."""

    since: datetime | None

    @property
    def ready_at(self) -> datetime | None:
        """When the window will hold enough history, if checks go on."""
        return self.since + MIN_HISTORY if self.since else None


def pace(
    history: Sequence[Snapshot], pool: Pool, now: datetime, window: timedelta = PACE_WINDOW
) -> Pace | Gathering:
    """How fast `pool` is spent: credits per day over the snapshots of the last `window`.

    Divides by the time the snapshots in the window span, not by the window, so a week-old
    account is not paced as if it had idled; under 24 hours of span gives `Gathering`.
    """
    inside = [s for s in _ordered(history) if now - window <= s.at <= now]
    if not inside:
        return Gathering(None)
    covered = inside[-1].at - inside[0].at
    if covered < MIN_HISTORY:
        return Gathering(inside[0].at)
    spent = sum((spent_between(a, b, pool) for a, b in pairwise(inside)), 0.0)
    days = covered / DAY
    return Pace(credits_per_day=spent / days, days=days, spent=spent)


# --- forecast ----------------------------------------------------------------------------


def spend_order(batches: Iterable[Batch]) -> list[Batch]:
    """The order MiniMax spends batches in: the one that expires first goes first.

    This is an assumption, the one place that makes it: upstream does not document the
    order, and spending the soonest-expiring credits first is what every credit system we
    know does (it is also the order that wastes least). Ties go smaller amount first, then
    by kind, so the order is total and deterministic.
    """
    return sorted(batches, key=lambda b: (b.ends_at, b.amount, b.kind.value))


@dataclass(frozen=True)
class BatchForecast:
    """A batch at the pace: `unused` credits of it expire; `used_up_at` is when it is spent
    to nothing (None when it expires with credits left)."""

    batch: Batch
    unused: float
    used_up_at: datetime | None


@dataclass(frozen=True)
class Forecast:
    """Every live batch in spend order with what will expire unused at `per_day`."""

    per_day: float
    batches: tuple[BatchForecast, ...]
    runs_out_at: datetime | None
    """When the balance reaches 0 by spending, before the last batch expires; else None."""

    @property
    def total_unused(self) -> float:
        return sum((b.unused for b in self.batches), 0.0)

    @property
    def balance(self) -> float:
        return sum((max(0.0, b.batch.amount) for b in self.batches), 0.0)


def forecast(batches: Iterable[Batch], per_day: float, now: datetime) -> Forecast:
    """Spend `per_day` credits a day, continuously from `now`, on the batches in `spend_order`.

    Each batch is spent until it is used up or expires; what is left at its end time expires
    unused, and spending goes on with the next batch. Batches ended by `now` are ignored.
    """
    if not math.isfinite(per_day) or per_day < 0:
        raise ValueError(f"per_day must be a finite number >= 0, got {per_day!r}")
    rate = per_day / DAY.total_seconds()  # credits per second
    t = now
    out_at: datetime | None = None
    results: list[BatchForecast] = []
    for batch in spend_order(b for b in batches if b.ends_at > now):
        amount = max(0.0, batch.amount)
        if amount == 0:
            results.append(BatchForecast(batch, 0.0, None))
            continue
        can_spend = rate * (batch.ends_at - t).total_seconds()
        if amount <= can_spend:
            t = min(batch.ends_at, t + timedelta(seconds=amount / rate))
            out_at = t
            results.append(BatchForecast(batch, 0.0, t))
        else:
            out_at = None
            results.append(BatchForecast(batch, amount - can_spend, None))
            t = batch.ends_at
    return Forecast(per_day=per_day, batches=tuple(results), runs_out_at=out_at)


def projected(
    balance_batches: Iterable[Batch], per_day: float, now: datetime
) -> list[tuple[datetime, float]]:
    """The balance at `per_day` from `now` to the last expiry, as (time, credits) points.

    The balance falls linearly while credits are spent, drops straight down by the unused
    part of a batch at its end time (two points at that time), and stays at 0 once spent.
    Empty when no batch is live. Counts batches only: credits without an end time are not in it.
    """
    result = forecast(balance_batches, per_day, now)
    if not result.batches:
        return []
    remaining = [max(0.0, r.batch.amount) for r in result.batches]
    points = [(now, sum(remaining))]
    t = now
    for i, r in enumerate(result.batches):
        rest = sum(remaining[i + 1 :])
        if remaining[i] == 0:
            continue
        if r.used_up_at is not None:
            t = r.used_up_at
            points.append((t, rest))
        else:
            t = r.batch.ends_at
            points.append((t, rest + r.unused))
            points.append((t, rest))
    last_end = result.batches[-1].batch.ends_at
    if t < last_end:
        points.append((last_end, 0.0))
    return points


# --- retention ---------------------------------------------------------------------------


def thin(history: Iterable[Snapshot], now: datetime) -> list[Snapshot]:
    """The snapshots worth keeping at `now`, oldest first.

    Drops what is older than 90 days; keeps the last snapshot of every UTC day that ended
    over 14 days ago, the last of every hour that ended over 2 days ago, and everything
    newer. Buckets are whole hours and days, so thinning at every check keeps exactly what
    thinning once would: `thin(thin(h, t1), t2) == thin(h, t2)` for `t1 <= t2`.
    """
    oldest = now - KEEP
    hourly_until = _epoch_float(now - HOURLY_AFTER)
    daily_until = _epoch_float(now - DAILY_AFTER)
    kept: dict[tuple[str, float], Snapshot] = {}
    for i, s in enumerate(_ordered(history)):
        if s.at < oldest:
            continue
        ts = _epoch_float(s.at)
        day = math.floor(ts / 86400) * 86400
        hour = math.floor(ts / 3600) * 3600
        if day + 86400 <= daily_until:
            key = ("day", float(day))
        elif hour + 3600 <= hourly_until:
            key = ("hour", float(hour))
        else:
            key = ("all", float(i))
        kept[key] = s  # in time order, so the last of a bucket wins
    return _ordered(kept.values())


def _epoch_float(when: datetime) -> float:
    return (when - _EPOCH).total_seconds()


__all__ = [
    "Batch",
    "BatchForecast",
    "Forecast",
    "Gathering",
    "Pace",
    "Pool",
    "Snapshot",
    "forecast",
    "pace",
    "projected",
    "snapshot_of",
    "spend_order",
    "spending",
    "spent_between",
    "thin",
]
