"""Which account to use next: several accounts' outlooks of one pool side by side. What
expires unused if each account goes on at its own pace, what would if the team always spent
from the account whose credits expire first, and that order as advice. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from usage.domain.forecast import BatchForecast, Forecast, team_forecast
from usage.domain.outlook import Outlook
from usage.domain.pace import Pace
from usage.domain.snapshot import Pool


@dataclass(frozen=True)
class Step:
    """Use `account` until `until`, when what it holds in this stretch is used up or expires."""

    account: str
    until: datetime


@dataclass(frozen=True)
class Team:
    """One pool of several accounts. Accounts still gathering history have no pace: they are
    in neither figure, only named."""

    pool: Pool
    paced: tuple[str, ...]
    gathering: tuple[str, ...]
    own: tuple[BatchForecast, ...]
    """Every batch of the paced accounts at its account's own pace, named, soonest first."""
    pooled: Forecast
    """The same batches spent soonest-expiring first, whoever holds them, at the paces added up."""
    days: float  # the longest pace window among the accounts
    balance: float  # the paced accounts' balances added up

    @property
    def per_day(self) -> float:
        return self.pooled.per_day

    @property
    def own_lost(self) -> int:
        """Whole credits expiring unused if each account goes on at its own pace."""
        return sum(b.lost for b in self.own)

    @property
    def pooled_lost(self) -> int:
        """Whole credits expiring unused if the team spends from the account whose credits
        expire first: never more than `own_lost`."""
        return self.pooled.lost

    @property
    def order(self) -> tuple[Step, ...]:
        """The accounts in the order to spend from: the pooled forecast's batches, one step
        for each stretch of batches of the same account."""
        steps: list[Step] = []
        for b in self.pooled.batches:
            if b.batch.amount <= 0:
                continue
            until = b.used_up_at or b.batch.ends_at
            if steps and steps[-1].account == b.account:
                steps[-1] = Step(b.account, until)
            else:
                steps.append(Step(b.account, until))
        return tuple(steps)

    @property
    def outlook(self) -> Outlook:
        """The pooled forecast as one outlook (what the chart of the team draws)."""
        pace = Pace(self.per_day, self.days, self.per_day * self.days)
        return Outlook(self.pool, pace, self.pooled, self.balance)


def team(outlooks: Mapping[str, Outlook], now: datetime) -> Team | None:
    """The team view of `outlooks` (account → its outlook of one pool); None when no
    account has a forecast yet."""
    pools = {o.pool for o in outlooks.values()}
    if len(pools) > 1:
        raise ValueError(f"the outlooks are of several pools: {sorted(pools)}")
    paced = {a: o for a, o in outlooks.items() if o.forecast is not None}
    if not paced:
        return None
    own = sorted(
        (
            replace(b, account=a)
            for a, o in paced.items()
            if o.forecast is not None
            for b in o.forecast.batches
        ),
        key=lambda b: (b.batch.ends_at, b.account),
    )
    pooled = team_forecast(
        {a: [b.batch for b in o.forecast.batches] for a, o in paced.items() if o.forecast},
        sum(o.forecast.per_day for o in paced.values() if o.forecast),
        now,
    )
    days = max((o.pace.days for o in paced.values() if isinstance(o.pace, Pace)), default=0.0)
    return Team(
        pool=next(iter(pools)),
        paced=tuple(paced),
        gathering=tuple(a for a in outlooks if a not in paced),
        own=tuple(own),
        pooled=pooled,
        days=days,
        balance=sum(o.balance for o in paced.values()),
    )


def teams(outlooks: Mapping[str, Sequence[Outlook]], now: datetime) -> list[Team]:
    """The team view of each pool of `outlooks` (account → its outlooks), in pool order."""
    found = []
    for pool in Pool:
        of_pool = {a: o for a, theirs in outlooks.items() for o in theirs if o.pool is pool}
        if of_pool and (t := team(of_pool, now)) is not None:
            found.append(t)
    return found


__all__ = ["Step", "Team", "team", "teams"]
