"""Where things go on the usage chart: the plot's frame, and the ranges and ticks of its
time and credit axes."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from usage.domain.units import DAY, HOUR

_TIME_STEPS = [h * HOUR for h in (1, 3, 6, 12)] + [d * DAY for d in (1, 2, 3, 7, 14, 28, 56)]


@dataclass(frozen=True)
class Frame:
    """The plot area in pixels, and the times (epoch seconds) and credits it spans."""

    left: float
    top: float
    right: float
    bottom: float
    t0: float
    t1: float
    v1: float

    def x(self, when: datetime) -> float:
        return self.left + (when.timestamp() - self.t0) / (self.t1 - self.t0) * (
            self.right - self.left
        )

    def y(self, value: float) -> float:
        value = min(max(value, 0.0), self.v1)
        return self.bottom - value / self.v1 * (self.bottom - self.top)


def time_range(times: Iterable[datetime]) -> tuple[datetime, datetime]:
    """From the first of `times` to the last, a day wide at least when they are close, with
    a margin either side."""
    known = list(times)
    t0, t1 = min(known), max(known)
    if t1 - t0 < 2 * HOUR:
        t0, t1 = t0 - 12 * HOUR, t1 + 12 * HOUR
    pad = (t1 - t0) * 0.02
    return t0 - pad, t1 + pad


def value_ticks(top: float) -> list[float]:
    """Credits from 0 in a few round steps to some room above `top`; the last is the axis'
    top."""
    step = _nice_step(top / 4)
    v1 = max(step, math.ceil(top * 1.08 / step) * step)
    return [i * step for i in range(round(v1 / step) + 1)]


def _nice_step(raw: float) -> float:
    """1, 2, 2.5 or 5 times a power of ten, at least `raw` (and at least 1)."""
    if raw <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def time_ticks(t0: datetime, t1: datetime, most: int) -> list[datetime]:
    """At most `most` round times from `t0` to `t1`: whole hours, days, or weeks from Monday."""
    span = t1 - t0
    step = next((s for s in _TIME_STEPS if span / s <= most), _TIME_STEPS[-1])
    unit = step.total_seconds()
    start = math.ceil(t0.timestamp() / unit) * unit
    if step >= 7 * DAY:  # weeks from Monday
        monday = 4 * DAY.total_seconds()  # 1970-01-05 was a Monday
        start = math.ceil((t0.timestamp() - monday) / unit) * unit + monday
    ticks = []
    t = start
    while t <= t1.timestamp():
        ticks.append(datetime.fromtimestamp(t, UTC))
        t += unit
    return ticks


def tick_label(when: datetime, step_below_day: bool) -> str:
    when = when.astimezone(UTC)
    if step_below_day and (when.hour or when.minute):
        return f"{when:%H:%M}"
    return f"{when.day} {when:%b}"
