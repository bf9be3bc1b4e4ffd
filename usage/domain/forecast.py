"""What will expire unused: the live batches spent at a pace, soonest-expiring first."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from usage.domain.snapshot import Batch
from usage.domain.units import DAY


def spend_order(batches: Iterable[Batch]) -> list[Batch]:
    """The order MiniMax spends batches in: the one that expires first goes first.

    This is an assumption, the one place that makes it: upstream does not document the
    order, and spending the soonest-expiring credits first is what every credit system we
    know does (it is also the order that wastes least). Ties go smaller amount first, then
    by pool, so the order is total and deterministic.
    """
    return sorted(batches, key=_spent_before)


def _spent_before(b: Batch) -> tuple[datetime, float, str]:
    return (b.ends_at, b.amount, b.pool.value)


def whole(credits: float) -> int:
    """A count of credits as people read it: the nearest whole credit, half up (so that a
    batch is "losing credits" exactly when it loses at least one)."""
    return math.floor(credits + 0.5)


@dataclass(frozen=True)
class BatchForecast:
    """A batch at the pace: `unused` credits of it expire; `used_up_at` is when it is spent
    to nothing (None when it expires with credits left). `account` holds it when several
    accounts' batches are forecast together ("" otherwise)."""

    batch: Batch
    unused: float
    used_up_at: datetime | None
    account: str = ""

    @property
    def lost(self) -> int:
        """The unused credits in whole credits."""
        return whole(self.unused)


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
    def lost(self) -> int:
        """The whole credits that expire unused: the sum of each batch's, so that the batch
        lines add up to it."""
        return sum(b.lost for b in self.batches)

    @property
    def balance(self) -> float:
        return sum((max(0.0, b.batch.amount) for b in self.batches), 0.0)


def forecast(batches: Iterable[Batch], per_day: float, now: datetime) -> Forecast:
    """Spend `per_day` credits a day, continuously from `now`, on the batches in `spend_order`.

    Each batch is spent until it is used up or expires; what is left at its end time expires
    unused, and spending goes on with the next batch. Batches ended by `now` are ignored.
    """
    return _spend([("", b) for b in batches], per_day, now)


def team_forecast(
    holdings: Mapping[str, Iterable[Batch]], per_day: float, now: datetime
) -> Forecast:
    """Several accounts' batches as one team's: `per_day` (the accounts' paces added up) is
    spent on whichever account holds the batch that expires first (`spend_order`, ties by
    account name), so each result names its account. No other order loses fewer credits:
    spending each account at its own pace is one of the orders it is compared with."""
    return _spend([(a, b) for a, held in holdings.items() for b in held], per_day, now)


def _spend(held: Iterable[tuple[str, Batch]], per_day: float, now: datetime) -> Forecast:
    if not math.isfinite(per_day) or per_day < 0:
        raise ValueError(f"per_day must be a finite number >= 0, got {per_day!r}")
    rate = per_day / DAY.total_seconds()  # credits per second
    t = now
    out_at: datetime | None = None
    results: list[BatchForecast] = []
    live = [(a, b) for a, b in held if b.ends_at > now]
    for account, batch in sorted(live, key=lambda h: (*_spent_before(h[1]), h[0])):
        amount = max(0.0, batch.amount)
        if amount == 0:
            results.append(BatchForecast(batch, 0.0, None, account))
            continue
        can_spend = rate * (batch.ends_at - t).total_seconds()
        if amount <= can_spend:
            t = min(batch.ends_at, t + timedelta(seconds=amount / rate))
            out_at = t
            results.append(BatchForecast(batch, 0.0, t, account))
        else:
            out_at = None
            results.append(BatchForecast(batch, amount - can_spend, None, account))
            t = batch.ends_at
    return Forecast(per_day=per_day, batches=tuple(results), runs_out_at=out_at)


def projected(result: Forecast, now: datetime) -> list[tuple[datetime, float]]:
    """The balance `result` (a forecast from `now`) foresees until the last expiry, as
    (time, credits) points.

    The balance falls linearly while credits are spent, drops straight down by the unused
    part of a batch at its end time (two points at that time), and stays at 0 once spent.
    Empty when no batch is live. Counts batches only: credits without an end time are not in it.
    """
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


__all__ = [
    "BatchForecast",
    "Forecast",
    "forecast",
    "projected",
    "spend_order",
    "team_forecast",
    "whole",
]
