"""What the history says about one account (or the sum of several): the pace and the
forecast of each pool, ready for a line of text. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .forecast import Forecast, forecast
from .pace import PACE_WINDOW, Gathering, Pace, pace
from .snapshot import Pool, Snapshot, in_time_order


@dataclass(frozen=True)
class Outlook:
    """One pool at the current pace: `forecast` is None while history is still gathered."""

    pool: Pool
    pace: Pace | Gathering
    forecast: Forecast | None
    balance: float

    @property
    def first_loss(self) -> datetime | None:
        """When the first credits expire unused at this pace."""
        if self.forecast is None:
            return None
        return next((b.batch.ends_at for b in self.forecast.batches if b.unused >= 0.5), None)


def outlook(
    history: Sequence[Snapshot],
    pool: Pool,
    now: datetime,
    window: timedelta = PACE_WINDOW,
) -> Outlook | None:
    """The outlook of `pool` from `history` (the latest snapshot is the current balance);
    None when the account has nothing of that pool and never had."""
    if not history:
        return None
    ordered = in_time_order(history)
    latest = ordered[-1]
    if (
        not latest.total(pool)
        and not latest.batches_of(pool)
        and not any(s.total(pool) for s in ordered)
    ):
        return None
    rate = pace(ordered, pool, now, window)
    result = (
        forecast(latest.batches_of(pool), rate.credits_per_day, now)
        if isinstance(rate, Pace)
        else None
    )
    return Outlook(pool, rate, result, latest.total(pool))


def combine(histories: Mapping[str, Sequence[Snapshot]]) -> list[Snapshot]:
    """The history of several accounts as one: at each moment any of them was read, the sum
    of every account's latest snapshot until then (their batches side by side)."""
    ordered = {a: in_time_order(h) for a, h in histories.items() if h}
    moments = sorted({s.at for h in ordered.values() for s in h})
    combined: list[Snapshot] = []
    position = dict.fromkeys(ordered, -1)
    for moment in moments:
        for account, history in ordered.items():
            while (
                position[account] + 1 < len(history) and history[position[account] + 1].at <= moment
            ):
                position[account] += 1
        current = [ordered[a][i] for a, i in position.items() if i >= 0]
        combined.append(
            Snapshot(
                moment,
                sum(s.video for s in current),
                sum(s.audio for s in current),
                tuple(b for s in current for b in s.batches),
            )
        )
    return combined
