"""One check of every watched account: read, decide, and queue notices in the store.

`Watcher` runs the check: it starts the accounts listing and the useapi.net account read
alongside the accounts, reads each account (`reading`) and decides its expiry alerts
(`expiry_alerts`) and condition alerts (`condition_alerts`, `useapi_check`), then does the
upkeep: snoozes that ended, old outbox and silences forgotten, the history recorded and
thinned. `CheckReport` is importable from here too."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.domain.account_rules import Rule, RuleBook
from alerts.domain.answers import AlertGroups
from alerts.domain.condition_alerts import balance
from alerts.domain.conditions import Judged
from alerts.domain.expiry_alerts import expiry
from alerts.domain.notices import TOKEN_SUBJECT, Notice, Resumed, make_nonce
from alerts.domain.reading import TOKEN_ERRORS, failed, listing, read, recovered
from alerts.domain.silences import Silences
from alerts.domain.store import KEEP, AlertStore
from alerts.domain.tick import CheckReport, Tick
from alerts.domain.useapi_check import UseapiAccount, useapi_alerts
from minimax_api import AccountInfo, MiniMaxClient, UseapiError
from minimax_api.problems import describe
from state import StoreUnavailable
from state.moments import to_epoch
from usage.domain.history import History
from usage.domain.pace import PACE_WINDOW

__all__ = ["CheckReport", "Watcher"]

log = logging.getLogger(__name__)

THIN_EVERY = timedelta(hours=1)
START_BAND = timedelta(days=1)


class Watcher:
    def __init__(
        self,
        minimax: MiniMaxClient,
        store: AlertStore,
        *,
        accounts: Sequence[str],
        thresholds: Sequence[float],
        concurrency: int = 8,
        history: History | None = None,
        window: timedelta = PACE_WINDOW,
        silences: Silences | None = None,
        groups: AlertGroups | None = None,
        alerting: bool = True,
        rules: Callable[[], Awaitable[RuleBook]] | None = None,
        useapi: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`history`, when given, gets a snapshot of every account read (in one write per
        check) and gives the pace over `window` to the alerts; `silences`, when given, holds
        the snoozed accounts and acknowledged batches, which are not announced. `rules`
        reads the rules per account at the start of each check; without it every account
        warns at `thresholds` and, unless `alerting` is false, has somewhere to go. An
        account whose alerts go nowhere is still read: its history and health are kept,
        nothing is queued. With `useapi` each check also reads the useapi.net account (its
        subscription and the MiniMax accounts it says are in error)."""
        fixed = RuleBook(Rule(channel_id=0 if alerting else None, steps=tuple(thresholds)), {})
        self.rules = rules or (lambda: _ready(fixed))
        self.book: RuleBook | None = None  # the rules the last check went by
        self._useapi_account = UseapiAccount()
        self.useapi = useapi
        self.history = history
        self.silences = silences
        self.groups = groups
        self.window = window
        self._thinned: datetime | None = None
        self.minimax = minimax
        self.store = store
        self.configured = tuple(accounts)
        self.gate = asyncio.Semaphore(concurrency)
        self.clock = clock
        self.lock = asyncio.Lock()

    async def check(self) -> CheckReport:
        """Check every watched account once; one account's failure never stops the others.
        The report says when the check ended and how long it took (waiting for a check in
        progress included)."""
        started = time.perf_counter()
        report = await self._check()
        report.seconds = time.perf_counter() - started
        report.finished_at = self.clock()
        return report

    async def _check(self) -> CheckReport:
        async with self.lock:
            listing = asyncio.ensure_future(self._listing())
            useapi = asyncio.ensure_future(self._useapi()) if self.useapi else None
            try:
                tick = Tick(self.clock(), CheckReport(), listing, await self.rules())
                return await self._run(tick, useapi)
            finally:  # no request outlives its check, whichever way the check ended
                requests: list[asyncio.Future[Any]] = [listing, *([useapi] if useapi else [])]
                for request in requests:
                    request.cancel()  # a no-op once done; a shared listing is shielded
                await asyncio.gather(*requests, return_exceptions=True)

    async def _run(self, tick: Tick, useapi: asyncio.Future[Judged | None] | None) -> CheckReport:
        """The check itself: the accounts, the useapi.net account, then the upkeep."""
        report = tick.report
        self.book = tick.book
        await self._silences(tick)
        tick.conditions = await self.store.conditions()
        report.accounts = list(self.configured)
        found = None if self.configured else await tick.listing
        if isinstance(found, UseapiError):
            report.failed[TOKEN_SUBJECT] = describe(found).title
            await failed(self.store, TOKEN_SUBJECT, found, tick)
        else:
            if found is not None:
                report.accounts = list(found)
            await self._accounts(tick)
        if useapi is not None and (judged := await useapi) is not None:
            await useapi_alerts(self.store, judged, tick)
        await self.store.forget_before(tick.now - KEEP)
        if self.groups is not None:
            await self.groups.forget_before(tick.now - KEEP)
        if self.silences is not None:
            await self.silences.forget_before(tick.now)
        await self._keep_history(tick)
        return report

    async def _accounts(self, tick: Tick) -> None:
        """Check every account of the tick, then the token as a whole."""
        results = await asyncio.gather(
            *(self._guarded(a, tick) for a in tick.report.accounts), return_exceptions=True
        )
        if down := next((r for r in results if isinstance(r, StoreUnavailable)), None):
            raise down
        token_errors = [r for r in results if isinstance(r, TOKEN_ERRORS)]
        if token_errors:
            await failed(self.store, TOKEN_SUBJECT, token_errors[0], tick)
        elif any(r is None for r in results):
            await recovered(self.store, TOKEN_SUBJECT, None, tick)

    async def _silences(self, tick: Tick) -> None:
        """What the team said: snoozes that ended are announced once (what is still due
        follows in this check, the most severe step only), the others hold their accounts."""
        if self.silences is None:
            return
        for over in await self.silences.ended(tick.now):
            if not tick.alerting(over.account):
                continue
            nonce = make_nonce("resumed", over.account, to_epoch(over.until))
            payload = Resumed(over.until, over.by)
            await self.store.queue(Notice(nonce, over.account, payload, tick.now), notified=False)
            tick.report.queued += 1
        tick.snoozed = frozenset(await self.silences.snoozed(tick.now))
        tick.acked = tuple(await self.silences.acks(since=tick.now))

    async def _keep_history(self, tick: Tick) -> None:
        if self.history is None:
            return
        await self.history.record(list(tick.snapshots.items()))
        if self._thinned is None or tick.now - self._thinned >= THIN_EVERY:
            # after a start, the day before it: older buckets were thinned by earlier runs
            await self.history.thin(tick.now, since=self._thinned or tick.now - START_BAND)
            self._thinned = tick.now

    async def _listing(self) -> dict[str, AccountInfo] | UseapiError:
        """The accounts listing; with `_useapi`, a request a check starts as its own task."""
        return await listing(self.minimax, self.configured)

    async def _useapi(self) -> Judged | None:
        return await self._useapi_account.read(self.minimax)

    async def _guarded(self, account: str, tick: Tick) -> BaseException | None:
        try:
            return await self._check_account(account, tick)
        except StoreUnavailable:
            raise  # not this account's fault: the whole check stops and is tried again
        except Exception as exc:
            log.exception("checking account %r failed", account)
            tick.report.failed[account] = "internal error"
            return exc

    async def _check_account(self, account: str, tick: Tick) -> BaseException | None:
        """None on success; the error otherwise (token-wide errors are counted by the caller)."""
        features, error = await read(self.minimax, self.store, self.gate, account, tick)
        if account in tick.snoozed or tick.rules(account).channel_id is None:
            # snoozed, or its alerts go nowhere: nothing is marked done (what is due when that
            # ends goes out then); a balance condition that clears meanwhile re-arms, so a new
            # crossing is said after it
            await balance(self.store, self.history, self.window, account, features, tick)
            return error
        await expiry(self.store, self.history, self.window, account, features, tick)
        await balance(self.store, self.history, self.window, account, features, tick)
        return error


async def _ready(book: RuleBook) -> RuleBook:
    return book
