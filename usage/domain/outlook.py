"""What the history says about one account (or the sum of several): the pace and the
forecast of each pool, ready for a line of text. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from usage.domain.forecast import Forecast, forecast
from usage.domain.pace import PACE_WINDOW, Gathering, Pace, Window
from usage.domain.snapshot import Pool, Snapshot, in_time_order


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


@dataclass(frozen=True)
class Past:
    """What an account's stored history says, summed up once: the pace window, the latest
    snapshot, and the pools it ever held. A new read is added without reading it again."""

    window: Window
    latest: Snapshot | None
    had: frozenset[Pool]

    @classmethod
    def of(cls, history: Sequence[Snapshot], now: datetime, window: timedelta) -> Past:
        ordered = in_time_order(history)
        had = frozenset(p for p in Pool if any(s.total(p) for s in ordered))
        return cls(Window.of(ordered, now, window), ordered[-1] if ordered else None, had)

    def plus(self, read: Snapshot) -> Past:
        """With `read`, the one just made, when it is newer than the history."""
        if self.latest is not None and read.at <= self.latest.at:
            return self
        had = self.had | {p for p in Pool if read.total(p)}
        return Past(self.window.plus(read), read, had)

    def outlook(self, pool: Pool, now: datetime) -> Outlook | None:
        """None when the account has nothing of `pool` and never had."""
        latest = self.latest
        if latest is None or not (
            latest.total(pool) or latest.batches_of(pool) or pool in self.had
        ):
            return None
        rate = self.window.pace(pool)
        result = (
            forecast(latest.batches_of(pool), rate.credits_per_day, now)
            if isinstance(rate, Pace)
            else None
        )
        return Outlook(pool, rate, result, latest.total(pool))

    def outlooks(self, now: datetime) -> list[Outlook]:
        return [o for pool in Pool if (o := self.outlook(pool, now)) is not None]


def outlook(
    history: Sequence[Snapshot],
    pool: Pool,
    now: datetime,
    window: timedelta = PACE_WINDOW,
) -> Outlook | None:
    """The outlook of `pool` from `history` (the latest snapshot is the current balance);
    None when the account has nothing of that pool and never had."""
    return Past.of(history, now, window).outlook(pool, now)


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
