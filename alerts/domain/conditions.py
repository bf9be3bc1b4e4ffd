"""Conditions alerted once while they hold: a low balance, a balance that runs out at the
account's pace, too many of its last jobs failing, and the useapi.net account's own problems.
Each is announced when it becomes true and re-armed when it is seen false again (no flapping
alert while it stays true); one that cannot be judged this check (no read, no pace yet)
keeps its state. Pure."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from alerts.domain.account_rules import Effective
from alerts.domain.notices import JobFailures, LowBalance, Payload, RunningOut, UseapiTrouble
from minimax_api.stats import succeeded
from usage.domain.outlook import Outlook
from usage.domain.snapshot import Pool, Snapshot


class Condition(StrEnum):
    LOW_BALANCE = "low"
    RUNS_OUT = "runs_out"
    SUBSCRIPTION = "subscription"  # the useapi.net subscription is not active
    ACCOUNT_ERRORS = "account_errors"  # useapi.net reports MiniMax accounts in error
    JOB_FAILURES = "job_failures"  # too few of the account's last jobs succeeded


def key(condition: Condition, pool: Pool | None = None) -> str:
    return f"{condition}:{pool}" if pool is not None else str(condition)


def condition_of(payload: Payload) -> str | None:
    """The condition an account's balance alert announces (None for any other alert)."""
    if isinstance(payload, LowBalance):
        return key(Condition.LOW_BALANCE, Pool(payload.pool))
    if isinstance(payload, RunningOut):
        return key(Condition.RUNS_OUT, Pool(payload.pool))
    if isinstance(payload, JobFailures) and not payload.cleared:
        return key(Condition.JOB_FAILURES)
    return None


HORIZON_DAYS = 3650.0
RECOVERY_MARGIN = 10.0
"""Percentage points above the failure rule's threshold the success rate must reach before
the alert clears (jobs succeed again), so that a rate around the threshold does not flap."""


@dataclass(frozen=True)
class Judged:
    """What one check could tell: conditions true now (by key) and keys seen false, with what
    to say of some of those when they clear (`said`)."""

    true: Mapping[str, Payload]
    false: frozenset[str]
    said: Mapping[str, Payload] = field(default_factory=dict)


def runs_out_at(outlook: Outlook, now: datetime) -> datetime | None:
    """When spending at the pace takes the balance to nothing; None without a pace (less
    than a day of history), without spending, or when the credits expire before they are
    spent (that is the "expire unused" forecast, not this)."""
    result = outlook.forecast
    if result is None or result.per_day <= 0:
        return None
    undated = max(0.0, outlook.balance - result.balance)  # credits without an end time
    if result.runs_out_at is not None:
        start = result.runs_out_at
    elif not any(b.batch.amount > 0 for b in result.batches):
        start = now
    elif undated > 0:
        start = max(b.batch.ends_at for b in result.batches)
    else:
        return None
    days = undated / result.per_day
    if days > HORIZON_DAYS:
        return None  # years away at this pace (and past what a datetime can hold)
    return start + timedelta(days=days)


def low_threshold(rules: Effective, pool: Pool) -> float | None:
    """The balance of `pool` below which to alert (None: off): `low_balance` for the
    video/image credits, `low_audio` for the audio credits."""
    return rules.low_audio if pool is Pool.AUDIO else rules.low_balance


def balance_conditions(
    snapshot: Snapshot | None,
    pools: Iterable[Pool],
    rules: Effective,
    outlooks: Mapping[Pool, Outlook],
    now: datetime,
) -> Judged:
    """Low balance (each pool by its own threshold) and running out for each of the
    account's `pools`, by its rules."""
    true: dict[str, Payload] = {}
    false: set[str] = set()
    if snapshot is None:
        return Judged(true, frozenset())
    for pool in pools:
        balance = snapshot.total(pool)
        if (threshold := low_threshold(rules, pool)) is not None:
            k = key(Condition.LOW_BALANCE, pool)
            if balance < threshold:
                true[k] = LowBalance(str(pool), balance, threshold)
            else:
                false.add(k)
        found = outlooks.get(pool)
        if (days := rules.runs_out_days) is None or found is None or found.forecast is None:
            continue
        k = key(Condition.RUNS_OUT, pool)
        at = runs_out_at(found, now)
        if at is not None and at - now <= timedelta(days=days):
            true[k] = RunningOut(str(pool), balance, found.forecast.per_day, at, days)
        else:
            false.add(k)
    return Judged(true, frozenset(false))


def switched_off(active: Collection[str], rules: Effective) -> frozenset[str]:
    """Announced balance conditions whose rule is now off: they re-arm."""

    def off(k: str) -> bool:
        name, _, pool = k.partition(":")
        if name == Condition.LOW_BALANCE and pool:
            return low_threshold(rules, Pool(pool)) is None
        return name == Condition.RUNS_OUT and rules.runs_out_days is None

    return frozenset(k for k in active if off(k))


def gone_pools(active: Collection[str], pools: Collection[Pool]) -> frozenset[str]:
    """Announced balance conditions of a pool the account no longer has: they re-arm."""
    return frozenset(k for k in active if ":" in k and Pool(k.split(":")[1]) not in pools)


def job_failures(outcomes: Mapping[int, int], rules: Effective) -> Judged:
    """Whether too few of the account's last jobs succeeded (`outcomes`: jobs by status code,
    2xx succeeded), by its rules: true below `failure_rate` percent, false (jobs succeed again)
    at or above it plus RECOVERY_MARGIN (at most 100 %), not judged in between or with fewer
    than `failure_min_jobs` jobs. Off, it is false (an alert announced before re-arms)."""
    k = key(Condition.JOB_FAILURES)
    threshold = rules.failure_rate
    if threshold is None:
        return Judged({}, frozenset({k}))
    jobs = sum(n for n in outcomes.values() if n > 0)
    if jobs < rules.failure_min_jobs:
        return Judged({}, frozenset())
    ok = sum(n for c, n in outcomes.items() if n > 0 and succeeded(c))
    rate = 100 * ok / jobs
    failed = tuple(
        sorted(
            ((c, n) for c, n in outcomes.items() if n > 0 and not succeeded(c)),
            key=lambda f: (-f[1], f[0]),
        )
    )
    if rate < threshold:
        return Judged({k: JobFailures(rate, jobs, threshold, failed)}, frozenset())
    if rate >= min(100.0, threshold + RECOVERY_MARGIN):
        said = JobFailures(rate, jobs, threshold, failed, cleared=True)
        return Judged({}, frozenset({k}), {k: said})
    return Judged({}, frozenset())


def useapi_conditions(
    subscription_active: bool | None, errors: int | None, total: int | None
) -> Judged:
    """The useapi.net account's conditions; an unknown value (None) is not judged: an open
    condition stays open and nothing is said until a read can tell."""
    true: dict[str, Payload] = {}
    false: set[str] = set()
    if subscription_active is not None:
        k = key(Condition.SUBSCRIPTION)
        if subscription_active:
            false.add(k)
        else:
            true[k] = UseapiTrouble(str(Condition.SUBSCRIPTION))
    if errors is not None:
        k = key(Condition.ACCOUNT_ERRORS)
        if errors > 0:
            true[k] = UseapiTrouble(str(Condition.ACCOUNT_ERRORS), errors=errors, total=total)
        else:
            false.add(k)
    return Judged(true, frozenset(false))


def transitions(
    active: Collection[str], judged: Judged
) -> tuple[list[tuple[str, Payload]], list[str]]:
    """(conditions to announce now, conditions to re-arm) given those announced before."""
    rise = [(k, v) for k, v in judged.true.items() if k not in active]
    clear = sorted(k for k in judged.false if k in active)
    return rise, clear
