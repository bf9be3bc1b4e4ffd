"""Reading useapi.net's job statistics into the job store, for the process that leads the
checks, apart from the expiry check (a statistics read never holds an expiry alert up), and
saying when they cannot be read.

Each run reads, for every watched account, one day per request (`config=ACCOUNT`, so the
summary's `by_model` is the account's own):

- today, when its last read is STATS_INTERVAL_MINUTES old (rows arrive 5 to 15 minutes late,
  so a day is re-read until it is over);
- each earlier day of the window (USAGE_WINDOW_DAYS, today included) that was never read
  after it was over and its late rows in (SETTLE after midnight UTC): yesterday once after
  midnight, and on a first start the backfill of the whole window.

What was read is kept in the database (`job_days`), so a restart does not read it again and
a replica taking over goes on where the leader stopped. A run makes at most one request per
account and day of the window (the backfill), later runs about one per account; all go
through the client's rate limiter at background priority, at most `concurrency` at a time, so
commands go first and the expiry checks keep most of the upstream. One account's failed read
is retried next run and never stops the others.

A run with a failed read (a failed request, or a body that does not parse; a 200 body is read
as far as it goes) counts as a failure; FAILURES_BEFORE_NOTICE runs in a row are announced
once, as "Can't read job statistics" about the useapi.net account (the statistics are the
token's), and the first run after it without a failure says once that they are readable
again. The streak is kept in the database, as an account's health is.

Each run also judges the job failure alert of every account whose rule has it on (the
default: below 50 % over the last 10 jobs): one more request, `limit=N&config=ACCOUNT`, reads
its last N jobs across days, only when it had at least N jobs in the window and something
changed since this process last judged it (its jobs there, its rule, its snooze, the alert's
state), so an idle account costs no request. The condition is the `job_failures` of
`conditions`, announced once and re-armed as every condition (`condition_alerts.judge`); a
failed read judges nothing (the "can't read" notice is the day reads').
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from alerts.domain.account_rules import RuleBook
from alerts.domain.condition_alerts import judge
from alerts.domain.conditions import Condition, job_failures, key, transitions
from alerts.domain.notices import (
    USEAPI_SUBJECT,
    Notice,
    StatsReadable,
    StatsUnreadable,
    make_nonce,
)
from alerts.domain.reading import FAILURES_BEFORE_NOTICE
from alerts.domain.silences import Silences
from alerts.domain.store import AlertStore
from alerts.domain.tick import CheckReport, Tick
from minimax_api import MiniMaxClient, Priority, UseapiError
from minimax_api.problems import describe
from state import StoreUnavailable
from usage.domain.jobs import AccountJobs, DayRead, JobStore

log = logging.getLogger(__name__)

SETTLE = timedelta(minutes=20)
"""After midnight UTC, how long a day's late rows take to arrive (useapi.net: 5 to 15 min)."""
CONCURRENCY = 2
KEEP_DAYS = 92
"""Days of statistics kept: useapi.net keeps three months."""
"""Statistics requests in flight at once: a share of the upstream, not all of it."""


@dataclass(frozen=True)
class Due:
    account: str
    day: date
    final: bool  # the read is after the day was over and settled


@dataclass
class StatsRun:
    """What one run read: the requests, the failed ones (account and day → why), the first
    error, and how long it took."""

    reads: int = 0
    failed: dict[tuple[str, date], str] = field(default_factory=dict)
    error: BaseException | None = None
    seconds: float = 0.0
    queued: int = 0  # notices

    @property
    def ok(self) -> bool:
        return not self.failed


def settled(day: date, at: datetime) -> bool:
    """Whether a read at `at` has every row of `day`: it is after the day and SETTLE."""
    over = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
    return at >= over + SETTLE


def due(
    accounts: Sequence[str],
    read: Sequence[DayRead],
    now: datetime,
    *,
    window_days: int,
    interval: timedelta,
) -> list[Due]:
    """What a run at `now` reads: the days not yet settled in the store, today's (and
    yesterday's until it settles) only once `interval` after their last read; the newest
    days first, so a backfill cut short has the most useful days."""
    today = now.astimezone(UTC).date()
    last = {(r.account, r.day): r for r in read}
    slack = interval * 0.1  # a run a moment early still reads
    found: list[Due] = []
    for back in range(window_days):
        day = today - timedelta(days=back)
        final = settled(day, now)
        for account in accounts:
            before = last.get((account, day))
            stale = before is not None and now - before.read_at >= interval - slack
            if before is None or (not before.final and (final or stale)):
                found.append(Due(account, day, final))
    return found


class StatsReader:
    def __init__(
        self,
        minimax: MiniMaxClient,
        jobs: JobStore,
        *,
        window_days: int,
        interval: timedelta,
        store: AlertStore | None = None,
        rules: Callable[[], Awaitable[RuleBook]] | None = None,
        silences: Silences | None = None,
        concurrency: int = CONCURRENCY,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """With `store`, failed runs are counted and announced there, where the rules of
        the useapi.net account send them (`rules`; without: always); with both, the job
        failure alerts are judged too (not for the accounts snoozed in `silences`)."""
        self.store = store
        self.silences = silences
        self._judged: dict[str, tuple[object, ...]] = {}  # what each failure alert went by
        self.rules = rules
        self.minimax = minimax
        self.jobs = jobs
        self.window_days = window_days
        self.interval = interval
        self.gate = asyncio.Semaphore(concurrency)
        self.clock = clock
        self._forgot: date | None = None

    async def run(self, accounts: Sequence[str]) -> StatsRun:
        """Read what is due of `accounts` and keep it; a failed read is retried next run.
        Raises StoreUnavailable only (the database: the next run tries again)."""
        started = time.perf_counter()
        now = self.clock()
        since = now.astimezone(UTC).date() - timedelta(days=self.window_days - 1)
        read = await self.jobs.days_read(accounts, since)
        todo = due(accounts, read, now, window_days=self.window_days, interval=self.interval)
        report = StatsRun(reads=len(todo))
        results = await asyncio.gather(
            *(self._read(d, now, report) for d in todo), return_exceptions=True
        )
        if down := next((r for r in results if isinstance(r, StoreUnavailable)), None):
            raise down
        await self._judge(report, now)
        await self._failures(accounts, now, report)
        if self._forgot != since:
            await self.jobs.forget_before(now.astimezone(UTC).date() - timedelta(days=KEEP_DAYS))
            self._forgot = since
        report.seconds = time.perf_counter() - started
        if todo:
            log.info(
                "job statistics: %d days read in %.3fs, %d failed",
                len(todo),
                report.seconds,
                len(report.failed),
            )
        return report

    async def _judge(self, report: StatsRun, now: datetime) -> None:
        """Count the run as a failure or a success; announce three failures in a row once,
        and their end once."""
        store = self.store
        if store is None or not report.reads:
            return
        if report.ok:
            before = await store.stats_success(now)
            if before.notified and await self._alerting():
                nonce = make_nonce("stats-readable", before.failing_since)
                notice = Notice(nonce, USEAPI_SUBJECT, StatsReadable(), now)
                await store.queue_stats(notice, notified=False)
                report.queued += 1
            return
        error = report.error
        if isinstance(error, UseapiError):
            problem = describe(error)
            title, advice = problem.title, problem.advice
        else:
            title, advice = "internal error", "The bot's log says more."
        health = await store.stats_failure(title, now)
        log.warning(
            "job statistics: %d of %d reads failed (%d runs in a row): %s",
            len(report.failed),
            report.reads,
            health.failures,
            title,
        )
        if health.failures >= FAILURES_BEFORE_NOTICE and not health.notified:
            if not await self._alerting():
                return  # said when it goes somewhere, if still true
            nonce = make_nonce("stats-unreadable", health.failing_since)
            payload = StatsUnreadable(title, advice, len(report.failed), report.reads)
            await store.queue_stats(Notice(nonce, USEAPI_SUBJECT, payload, now), notified=True)
            report.queued += 1

    async def _failures(self, accounts: Sequence[str], now: datetime, report: StatsRun) -> None:
        """Judge the job failure alert of each account whose rule has it on."""
        store = self.store
        if store is None or self.rules is None or not accounts:
            return
        today = now.astimezone(UTC).date()
        since = today - timedelta(days=self.window_days - 1)
        known = await self.jobs.by_account(accounts, since, today)
        snoozed = await self.silences.snoozed(now) if self.silences is not None else ()
        listing: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        listing.set_result({})  # a tick of the statistics reads no accounts listing
        tick = Tick(now, CheckReport(), listing, await self.rules(), snoozed=frozenset(snoozed))
        tick.conditions = await store.conditions()
        results = await asyncio.gather(
            *(self._failure(store, a, known.get(a, AccountJobs()), tick) for a in accounts),
            return_exceptions=True,
        )
        if down := next((r for r in results if isinstance(r, StoreUnavailable)), None):
            raise down
        report.queued += tick.report.queued

    async def _failure(
        self, store: AlertStore, account: str, known: AccountJobs, tick: Tick
    ) -> None:
        rules = tick.rules(account)
        k = key(Condition.JOB_FAILURES)
        active = tick.conditions.get(account, {})
        if rules.failure_rate is None:
            if k in active:  # switched off: it re-arms
                await judge(store, account, job_failures({}, rules), tick)
            return
        wanted = rules.failure_min_jobs
        if known.jobs < wanted:
            return  # too few jobs to judge: what was said stands
        seen = (
            known.jobs,
            known.succeeded,
            rules.failure_rate,
            wanted,
            tick.alerting(account),
            active.get(k),
        )
        if self._judged.get(account) == seen:
            return
        try:
            async with self.gate:
                stats = await self.minimax.stats(
                    limit=wanted, config=account, priority=Priority.BACKGROUND
                )
        except Exception as exc:
            if isinstance(exc, UseapiError):
                log.warning(
                    "the last jobs of %r could not be read: %s", account, describe(exc).title
                )
            else:
                log.exception("reading the last jobs of %r failed", account)
            return  # judged again next run
        outcomes: dict[int, int] = {}
        for outcome in stats.figures(account).outcomes:
            outcomes[outcome.code] = outcomes.get(outcome.code, 0) + outcome.jobs
        judged = job_failures(outcomes, rules)
        try:
            await judge(store, account, judged, tick)
        except StoreUnavailable:
            raise
        except Exception:
            log.exception("the job failure alert of %r failed", account)
            return
        if transitions(active, judged)[1]:
            tick.report.queued += 1  # "jobs succeed again" may be queued: deliver it now
        self._judged[account] = seen

    async def _alerting(self) -> bool:
        if self.rules is None:
            return True
        return (await self.rules()).of(USEAPI_SUBJECT).channel_id is not None

    async def _read(self, item: Due, now: datetime, report: StatsRun) -> None:
        try:
            async with self.gate:
                stats = await self.minimax.stats(
                    item.day, config=item.account, priority=Priority.BACKGROUND
                )
            await self.jobs.replace_day(
                item.account, item.day, stats.figures(item.account), read_at=now, final=item.final
            )
        except StoreUnavailable:
            raise
        except Exception as exc:
            if isinstance(exc, UseapiError):
                why = describe(exc).title
            else:
                why = "internal error"
                log.exception("reading the job statistics of %r failed", item.account)
            report.failed[(item.account, item.day)] = why
            report.error = report.error or exc


__all__ = ["SETTLE", "Due", "StatsReader", "StatsRun", "due", "settled"]
