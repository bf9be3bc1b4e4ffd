"""How fast credits are spent: what left a pool between snapshots without expiring, per day."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from usage.domain.snapshot import Batch, Pool, Snapshot, in_time_order, same_batch
from usage.domain.units import DAY

MIN_HISTORY = timedelta(hours=24)
"""Less history than this in the window gives no pace: one busy hour is not a pace."""
PACE_WINDOW = timedelta(days=7)


def _listed(batch: Batch, snapshot: Snapshot) -> bool:
    return any(
        b.pool == batch.pool and same_batch(b.ends_at, batch.ends_at) for b in snapshot.batches
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
    inside = [s for s in in_time_order(history) if since <= s.at <= until]
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


@dataclass(frozen=True)
class Window:
    """The snapshots of one pace window summed up: enough to pace each pool, and to add one
    more read without going back to the history (the command path keeps one per account)."""

    first: Snapshot | None  # the oldest and newest snapshot inside the window
    last: Snapshot | None
    spent: dict[Pool, float]

    @classmethod
    def of(cls, history: Iterable[Snapshot], now: datetime, window: timedelta) -> Window:
        inside = [s for s in in_time_order(history) if now - window <= s.at <= now]
        spent = {
            pool: sum((spent_between(a, b, pool) for a, b in pairwise(inside)), 0.0)
            for pool in Pool
        }
        return cls(inside[0] if inside else None, inside[-1] if inside else None, spent)

    def plus(self, read: Snapshot) -> Window:
        """The window with `read`, a snapshot newer than every one in it."""
        if self.last is None:
            return Window(read, read, dict.fromkeys(Pool, 0.0))
        if read.at <= self.last.at:
            return self
        spent = {p: self.spent[p] + spent_between(self.last, read, p) for p in Pool}
        return Window(self.first, read, spent)

    def pace(self, pool: Pool) -> Pace | Gathering:
        """Divides by the time the snapshots span, not by the window, so a week-old account
        is not paced as if it had idled; under 24 hours of span gives `Gathering`."""
        if self.first is None or self.last is None:
            return Gathering(None)
        covered = self.last.at - self.first.at
        if covered < MIN_HISTORY:
            return Gathering(self.first.at)
        days = covered / DAY
        return Pace(credits_per_day=self.spent[pool] / days, days=days, spent=self.spent[pool])


def pace(
    history: Sequence[Snapshot], pool: Pool, now: datetime, window: timedelta = PACE_WINDOW
) -> Pace | Gathering:
    """How fast `pool` is spent: credits per day over the snapshots of the last `window`."""
    return Window.of(history, now, window).pace(pool)


__all__ = [
    "MIN_HISTORY",
    "PACE_WINDOW",
    "Gathering",
    "Pace",
    "Window",
    "pace",
    "spending",
    "spent_between",
]
