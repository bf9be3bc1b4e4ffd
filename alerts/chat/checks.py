"""The expiry checks of the process that leads them: every CHECK_INTERVAL_MINUTES the watcher
reads every account and queues what is due, then the outbox goes to the alert channel; the
digest of each period is queued once; and, in a loop of its own every STATS_INTERVAL_MINUTES,
the job statistics of the accounts the last check watched are read (`StatsChecks`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from discord.ext import tasks

from alerts.domain.account_rules import RuleBook
from alerts.domain.delivery import Delivery
from alerts.domain.follow_ups import FollowUps
from alerts.domain.job_stats import StatsReader, StatsRun
from alerts.domain.notices import DIGEST_SUBJECT, digest_notice
from alerts.domain.status import AlertStatus, Routes
from alerts.domain.store import AlertStore
from alerts.domain.tick import CheckReport
from alerts.domain.watcher import Watcher
from settings import DigestSchedule
from state import StoreUnavailable

log = logging.getLogger(__name__)


class Observer(Protocol):
    """Where the duration of each check goes (a Prometheus histogram)."""

    def observe(self, amount: float) -> None: ...


class ExpiryChecks:
    def __init__(
        self,
        watcher: Watcher,
        store: AlertStore,
        rules: Callable[[], Awaitable[RuleBook]],
        delivery: Delivery[Any],
        status: AlertStatus,
        check_seconds: Observer,
        *,
        interval_minutes: float,
        digest: DigestSchedule | None,
        follow_ups: FollowUps | None = None,
    ) -> None:
        self.watcher = watcher
        self.follow_ups = follow_ups
        self.store = store
        self.rules = rules
        self.delivery = delivery
        self.status = status
        self.check_seconds = check_seconds
        self.digest = digest
        self._check_error: str | None = None
        self._digest_queued: datetime | None = None
        self.checked = asyncio.Event()  # set once a check of this process has ended
        self.loop.change_interval(minutes=interval_minutes)

    @tasks.loop(minutes=30)
    async def loop(self) -> None:
        try:
            await self.run()
        except StoreUnavailable as exc:
            if str(exc) != self._check_error:
                log.warning("expiry check: the database failed (%s); trying again next time", exc)
            self._check_error = str(exc)
        except Exception:
            log.exception("expiry check failed; trying again next time")

    async def run(self) -> CheckReport:
        """One check now, then the delivery of what is pending."""
        report = await self.watcher.check()
        self.check_seconds.observe(report.seconds)
        log.info(
            "expiry check: %d accounts in %.3fs, %d failed, %d notices queued",
            len(report.accounts),
            report.seconds,
            len(report.failed),
            report.queued,
        )
        self.status.last_check = report
        self.checked.set()
        self.status.routes = Routes.of(await self.rules())
        report.posted = await self.delivery.flush()
        self._check_error = None
        return report

    async def while_leading(self, now: datetime) -> None:
        """What the leader does between checks, every few seconds: the digest when due, and
        the follow-ups of alerts nobody answered."""
        await self.queue_digest(now)
        if self.follow_ups is not None and await self.follow_ups.escalate(now):
            await self.delivery.flush()

    async def queue_digest(self, now: datetime) -> None:
        """Queue the digest of the current period, once (its nonce makes a second queueing
        a no-op), and deliver it."""
        if self.digest is None or self.status.last_check is None:
            return  # the first check tells which accounts there are
        start = self.digest.last_due(now)
        if start == self._digest_queued:
            return
        if (await self.rules()).of(DIGEST_SUBJECT).channel_id is None:
            return  # the digest goes where the alerts about every account go: nowhere
        await self.store.queue(
            digest_notice(start, self.digest.period, str(self.digest), now), notified=False
        )
        self._digest_queued = start
        log.info("digest of %s queued", start.isoformat())
        await self.delivery.flush()


class StatsChecks:
    """Reads the job statistics of the watched accounts every STATS_INTERVAL_MINUTES, in a
    loop of its own: the first run waits for the first expiry check of this process (which
    says which accounts there are, and goes first), and nothing here ever holds an expiry
    check up or stops it."""

    def __init__(
        self,
        reader: StatsReader,
        status: AlertStatus,
        checked: asyncio.Event,
        *,
        interval_minutes: float,
        delivery: Delivery[Any] | None = None,
    ) -> None:
        """`delivery` sends at once the notices a run queued."""
        self.delivery = delivery
        self.reader = reader
        self.status = status
        self.checked = checked
        self.last: StatsRun | None = None
        self._error: str | None = None
        self.loop.change_interval(minutes=interval_minutes)

    @tasks.loop(minutes=15)
    async def loop(self) -> None:
        try:
            await self.run()
        except StoreUnavailable as exc:
            if str(exc) != self._error:
                log.warning("job statistics: the database failed (%s); trying again", exc)
            self._error = str(exc)
        except Exception:
            log.exception("reading the job statistics failed; trying again next time")

    async def run(self) -> StatsRun:
        """One run now, after the first expiry check."""
        await self.checked.wait()
        report = self.status.last_check
        accounts = [a for a in report.accounts if not a.startswith("*")] if report else []
        self.last = await self.reader.run(accounts)
        self._error = None
        if self.last.queued and self.delivery is not None:
            await self.delivery.flush()
        return self.last
