"""Which snapshots the history keeps as they age: all of the last days, then one an hour,
then one a day, and nothing older than `HISTORY_KEPT`."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from usage.domain.snapshot import Snapshot, in_time_order
from usage.domain.units import DAY, HOUR

HISTORY_KEPT = timedelta(days=90)
"""Snapshots older than this are dropped."""
HOURLY_AFTER = timedelta(days=2)
"""Hours that ended longer ago than this keep one snapshot each; newer ones keep all."""
DAILY_AFTER = timedelta(days=14)
"""UTC days that ended longer ago than this keep one snapshot each."""


def thin(history: Iterable[Snapshot], now: datetime) -> list[Snapshot]:
    """The snapshots worth keeping at `now`, oldest first.

    Drops what is older than 90 days; keeps the last snapshot of every UTC day that ended
    over 14 days ago, the last of every hour that ended over 2 days ago, and everything
    newer. Buckets are whole hours and days, so thinning at every check keeps exactly what
    thinning once would: `thin(thin(h, t1), t2) == thin(h, t2)` for `t1 <= t2`.
    """
    oldest = now - HISTORY_KEPT
    hourly_until = (now - HOURLY_AFTER).timestamp()
    daily_until = (now - DAILY_AFTER).timestamp()
    day_s, hour_s = DAY.total_seconds(), HOUR.total_seconds()
    kept: dict[tuple[str, float], Snapshot] = {}
    for i, s in enumerate(in_time_order(history)):
        if s.at < oldest:
            continue
        ts = s.at.timestamp()
        day = math.floor(ts / day_s) * day_s
        hour = math.floor(ts / hour_s) * hour_s
        if day + day_s <= daily_until:
            key = ("day", day)
        elif hour + hour_s <= hourly_until:
            key = ("hour", hour)
        else:
            key = ("all", float(i))
        kept[key] = s  # in time order, so the last of a bucket wins
    return in_time_order(kept.values())


__all__ = ["DAILY_AFTER", "HISTORY_KEPT", "HOURLY_AFTER", "thin"]
