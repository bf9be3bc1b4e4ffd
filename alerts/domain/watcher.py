"""One check of every watched account: read, decide, and queue notices in the store."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.domain.account_rules import Effective, Rule, RuleBook
from alerts.domain.conditions import (
    Judged,
    balance_conditions,
    gone_pools,
    switched_off,
    transitions,
    useapi_conditions,
)
from alerts.domain.due import ExpiryKind, plan, subjects
from alerts.domain.notices import (
    TOKEN_SUBJECT,
    USEAPI_SUBJECT,
    ExpiringSoon,
    ExpiryItem,
    Notice,
    Readable,
    Resumed,
    Unreadable,
    UseapiTrouble,
    expiry_nonce,
    make_nonce,
)
from alerts.domain.silences import Ack, Silences, acknowledged
from alerts.domain.store import KEEP, AlertDecision, AlertStore
from minimax_api import (
    AccountInfo,
    Features,
    MiniMaxClient,
    Priority,
    SubscriptionExpired,
    TokenRefused,
    UseapiError,
)
from minimax_api.problems import describe
from state import StoreUnavailable
from state.moments import to_epoch, to_ms
from usage.domain.history import History
from usage.domain.outlook import Outlook
from usage.domain.pace import PACE_WINDOW
from usage.domain.snapshot import SAME_BATCH, Pool, Snapshot, snapshot_of

log = logging.getLogger(__name__)

FAILURES_BEFORE_NOTICE = 3


@dataclass
class _Tick:
    """One check in progress: its time, its report, and the accounts listing read alongside
    the accounts (or why it could not be read)."""

    now: datetime
    report: CheckReport
    listing: asyncio.Future[dict[str, AccountInfo] | UseapiError]
    book: RuleBook
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    snoozed: frozenset[str] = frozenset()  # accounts the team said "not now" of
    acked: tuple[Ack, ...] = ()  # batches the team said "we know" of
    conditions: dict[str, dict[str, int]] = field(default_factory=dict)  # since, epoch ms
    _rules: dict[str, Effective] = field(default_factory=dict)

    def rules(self, account: str) -> Effective:
        if (found := self._rules.get(account)) is None:
            found = self._rules[account] = self.book.of(account)
        return found

    def alerting(self, account: str) -> bool:
        """Whether `account`'s alerts go anywhere (and it is not snoozed)."""
        return self.rules(account).channel_id is not None and account not in self.snoozed


TOKEN_ERRORS = (TokenRefused, SubscriptionExpired)


@dataclass
class CheckReport:
    accounts: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    queued: int = 0
    sent: int = 0
    finished_at: datetime | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """useapi.net could be read: no token-wide failure, and not every account failed."""
        if TOKEN_SUBJECT in self.failed:
            return False
        return not self.accounts or len(self.failed) < len(self.accounts)

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "at": self.finished_at.isoformat() if self.finished_at else None,
            "seconds": round(self.seconds, 3),
            "accounts": len(self.accounts),
            "failed": len(self.failed),
        }


POOLS = {ExpiryKind.VIDEO: Pool.VIDEO, ExpiryKind.AUDIO: Pool.AUDIO}
THIN_EVERY = timedelta(hours=1)
START_BAND = timedelta(days=1)


def _paced(item: ExpiryItem, outlooks: dict[Pool, Outlook]) -> ExpiryItem:
    pool = POOLS.get(item.kind)
    found = outlooks.get(pool) if pool else None
    if found is None or found.forecast is None:
        return item
    unused = sum(
        b.unused
        for b in found.forecast.batches
        if abs(b.batch.ends_at - item.ends_at) <= SAME_BATCH
    )
    return replace(item, unused=unused, per_day=found.forecast.per_day)


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
        self._useapi_error: str | None = None
        self.useapi = useapi
        self.history = history
        self.silences = silences
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
                tick = _Tick(self.clock(), CheckReport(), listing, await self.rules())
                return await self._run(tick, useapi)
            finally:  # no request outlives its check, whichever way the check ended
                requests: list[asyncio.Future[Any]] = [listing, *([useapi] if useapi else [])]
                for request in requests:
                    request.cancel()  # a no-op once done; a shared listing is shielded
                await asyncio.gather(*requests, return_exceptions=True)

    async def _run(self, tick: _Tick, useapi: asyncio.Future[Judged | None] | None) -> CheckReport:
        """The check itself: the accounts, the useapi.net account, then the upkeep."""
        report = tick.report
        self.book = tick.book
        await self._silences(tick)
        tick.conditions = await self.store.conditions()
        report.accounts = list(self.configured)
        found = None if self.configured else await tick.listing
        if isinstance(found, UseapiError):
            report.failed[TOKEN_SUBJECT] = describe(found).title
            await self._failed(TOKEN_SUBJECT, found, tick)
        else:
            if found is not None:
                report.accounts = list(found)
            await self._accounts(tick)
        if useapi is not None and (judged := await useapi) is not None:
            await self._useapi_judged(judged, tick)
        await self.store.forget_before(tick.now - KEEP)
        if self.silences is not None:
            await self.silences.forget_before(tick.now)
            await self.silences.forget_groups_before(tick.now - KEEP)
        await self._keep_history(tick)
        return report

    async def _useapi_judged(self, judged: Judged, tick: _Tick) -> None:
        """The useapi.net account's alerts; a failure here is logged, never the end of the
        check (its history and upkeep still follow)."""
        try:
            await self._judge(USEAPI_SUBJECT, judged, tick)
        except StoreUnavailable:
            raise
        except Exception:
            log.exception("the useapi.net account's alerts failed")

    async def _accounts(self, tick: _Tick) -> None:
        """Check every account of the tick, then the token as a whole."""
        results = await asyncio.gather(
            *(self._guarded(a, tick) for a in tick.report.accounts), return_exceptions=True
        )
        if down := next((r for r in results if isinstance(r, StoreUnavailable)), None):
            raise down
        token_errors = [r for r in results if isinstance(r, TOKEN_ERRORS)]
        if token_errors:
            await self._failed(TOKEN_SUBJECT, token_errors[0], tick)
        elif any(r is None for r in results):
            await self._recovered(TOKEN_SUBJECT, None, tick)

    async def _silences(self, tick: _Tick) -> None:
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

    async def _keep_history(self, tick: _Tick) -> None:
        if self.history is None:
            return
        await self.history.record(list(tick.snapshots.items()))
        if self._thinned is None or tick.now - self._thinned >= THIN_EVERY:
            # after a start, the day before it: older buckets were thinned by earlier runs
            await self.history.thin(tick.now, since=self._thinned or tick.now - START_BAND)
            self._thinned = tick.now

    async def _listing(self) -> dict[str, AccountInfo] | UseapiError:
        try:
            found = await self.minimax.accounts(fresh=True, priority=Priority.BACKGROUND)
        except UseapiError as exc:
            if self.configured:
                log.info("accounts listing unavailable (%s): no session alerts now", exc)
            return exc
        return {a.account: a for a in found}

    async def _guarded(self, account: str, tick: _Tick) -> BaseException | None:
        try:
            return await self._check_account(account, tick)
        except StoreUnavailable:
            raise  # not this account's fault: the whole check stops and is tried again
        except Exception as exc:
            log.exception("checking account %r failed", account)
            tick.report.failed[account] = "internal error"
            return exc

    async def _check_account(self, account: str, tick: _Tick) -> BaseException | None:
        """None on success; the error otherwise (token-wide errors are counted by the caller).

        Only the request holds a place among the `concurrency` in flight; the database work
        after it does not."""
        now, report = tick.now, tick.report
        error: UseapiError | None = None
        try:
            async with self.gate:
                features = await self.minimax.features(
                    account, fresh=True, priority=Priority.BACKGROUND
                )
        except UseapiError as exc:
            features, error = None, exc
            report.failed[account] = describe(exc, account).title
            if not isinstance(exc, TOKEN_ERRORS):
                await self._failed(account, exc, tick)
        else:
            await self._recovered(account, features.soonest_expiry(now), tick)
            tick.snapshots[account] = snapshot_of(features)
        if account in tick.snoozed or tick.rules(account).channel_id is None:
            # snoozed, or its alerts go nowhere: nothing is marked done (what is due when that
            # ends goes out then); a balance condition that clears meanwhile re-arms, so a new
            # crossing is said after it
            await self._balance(account, features, tick)
            return error
        await self._expiry(account, features, tick)
        await self._balance(account, features, tick)
        return error

    async def _expiry(self, account: str, features: Features | None, tick: _Tick) -> None:
        """Queue what newly crossed one of the account's steps (the most severe only)."""
        now, report = tick.now, tick.report
        found = await tick.listing
        info = found.get(account) if isinstance(found, dict) else None
        post, silence = plan(
            subjects(account, features, info),
            tick.rules(account).steps,
            now,
            await self.store.done_keys(account),
        )
        post = [d for d in post if not acknowledged(d.subject, tick.acked)]
        if post or silence:
            notice = None
            if post:
                items = await self._with_pace(account, [ExpiryItem.of(d) for d in post], tick)
                nonce = expiry_nonce(d.key for d in post)
                notice = Notice(nonce, account, ExpiringSoon(items), now)
                report.queued += 1
            await self.store.save(AlertDecision(notice, [d.key for d in post], silence))

    async def _balance(self, account: str, features: Features | None, tick: _Tick) -> None:
        """Low balance and running out, by the account's rules: announced once per crossing.
        A failure here is logged and never costs the account its expiry alerts."""
        rules = tick.rules(account)
        current = tick.snapshots.get(account)
        active = tick.conditions.get(account, {})
        if features is None or current is None:
            return
        if rules.low_balance is None and rules.runs_out_days is None and not active:
            return
        try:
            pools = [Pool.VIDEO] + ([Pool.AUDIO] if features.audio is not None else [])
            outlooks = {}
            if rules.runs_out_days is not None and self.history is not None:
                found = await self.history.outlooks(account, tick.now, self.window, current)
                outlooks = {o.pool: o for o in found}
            judged = balance_conditions(current, pools, rules, outlooks, tick.now)
            gone = gone_pools(active, pools)  # no audio any more: nothing of it holds
            judged = Judged(judged.true, judged.false | switched_off(active, rules) | gone)
            await self._judge(account, judged, tick)
        except StoreUnavailable:
            raise
        except Exception:
            log.exception("the balance alerts of account %r failed", account)

    async def _judge(self, account: str, judged: Judged, tick: _Tick) -> None:
        """Queue the conditions of `account` that newly hold (not while it is snoozed or its
        alerts go nowhere: they are said once that ends, if they still hold); re-arm those
        seen clear."""
        active = tick.conditions.get(account, {})
        rise, clear = transitions(active, judged)
        if tick.alerting(account):
            for condition, payload in rise:
                since = to_ms(tick.now)
                nonce = make_nonce("condition", account, condition, since)
                notice = Notice(nonce, account, payload, tick.now)
                if await self.store.rise(account, condition, since, notice):
                    tick.report.queued += 1
        for condition in clear:
            since = active[condition]
            held = make_nonce("condition", account, condition, since)
            said = self._cleared(account, condition, since, tick)
            await self.store.clear(account, condition, since, held, said)

    @staticmethod
    def _cleared(account: str, condition: str, since: int, tick: _Tick) -> Notice | None:
        """What to say when a condition clears: only the useapi.net account's say so."""
        if account != USEAPI_SUBJECT:
            return None
        nonce = make_nonce("cleared", account, condition, since)
        return Notice(nonce, account, UseapiTrouble(condition, cleared=True), tick.now)

    async def _useapi(self) -> Judged | None:
        """The useapi.net account's conditions; None when it cannot be read (logged, and
        the account checks go on)."""
        try:
            found = await self.minimax.useapi_account(priority=Priority.BACKGROUND)
        except SubscriptionExpired:
            return useapi_conditions(False, None, 0)
        except Exception as exc:
            text = describe(exc).title if isinstance(exc, UseapiError) else repr(exc)
            if text != self._useapi_error:
                log.warning("useapi.net account unavailable (%s): its alerts wait", text)
            self._useapi_error = text
            return None
        if self._useapi_error is not None:
            log.info("useapi.net account readable again")
            self._useapi_error = None
        counts = found.minimax
        return useapi_conditions(
            found.subscription_active,
            counts.error if counts else None,
            counts.total if counts else None,
        )

    async def _with_pace(
        self, account: str, items: list[ExpiryItem], tick: _Tick
    ) -> tuple[ExpiryItem, ...]:
        """The items with what of each batch expires unused at the account's pace."""
        current = tick.snapshots.get(account)
        if self.history is None or current is None or not any(i.kind in POOLS for i in items):
            return tuple(items)
        found = await self.history.outlooks(account, tick.now, self.window, current)
        outlooks = {o.pool: o for o in found}
        return tuple(_paced(i, outlooks) for i in items)

    async def _failed(self, account: str, exc: BaseException, tick: _Tick) -> None:
        now = tick.now
        problem = describe(exc, None if account == TOKEN_SUBJECT else account)
        health = await self.store.record_failure(account, problem.title, now)
        log.warning("%s: check failed (%d in a row): %s", account, health.failures, problem.title)
        if not tick.alerting(account):
            return  # "can't read" is snoozed with its account, and said after if still true
        if health.failures >= FAILURES_BEFORE_NOTICE and not health.notified:
            nonce = make_nonce("unreadable", account, health.failing_since)
            notice = Notice(nonce, account, Unreadable(problem.title, problem.advice), now)
            await self.store.queue(notice, notified=True)
            tick.report.queued += 1

    async def _recovered(self, account: str, soonest: datetime | None, tick: _Tick) -> None:
        now = tick.now
        before = await self.store.record_success(account, soonest, now)
        if before.notified and tick.alerting(account):
            nonce = make_nonce("readable", account, before.failing_since)
            await self.store.queue(Notice(nonce, account, Readable(), now), notified=False)
            tick.report.queued += 1


async def _ready(book: RuleBook) -> RuleBook:
    return book
