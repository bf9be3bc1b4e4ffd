"""Reading the accounts in a check: the accounts listing, each account's features, and its
health in the store. Only the request holds one of the watcher's `concurrency` places; the
database work after it does not. An account that fails FAILURES_BEFORE_NOTICE checks in a row
is announced once as "Can't read account", and "readable again" follows only that notice.
Token-wide errors (TOKEN_ERRORS) are counted by the caller, once for the token as a whole."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from alerts.domain.notices import TOKEN_SUBJECT, Notice, Readable, Unreadable, make_nonce
from alerts.domain.store import AlertStore
from alerts.domain.tick import Tick
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
from usage.domain.snapshot import snapshot_of

log = logging.getLogger(__name__)

FAILURES_BEFORE_NOTICE = 3
TOKEN_ERRORS = (TokenRefused, SubscriptionExpired)


async def listing(
    minimax: MiniMaxClient, configured: Sequence[str]
) -> dict[str, AccountInfo] | UseapiError:
    try:
        found = await minimax.accounts(fresh=True, priority=Priority.BACKGROUND)
    except UseapiError as exc:
        if configured:
            log.info("accounts listing unavailable (%s): no session alerts now", exc)
        return exc
    return {a.account: a for a in found}


async def read(
    minimax: MiniMaxClient, store: AlertStore, gate: asyncio.Semaphore, account: str, tick: Tick
) -> tuple[Features | None, UseapiError | None]:
    """The account's features, or None and why; its failure or success is recorded, and
    what it read goes into the tick's snapshots."""
    now, report = tick.now, tick.report
    try:
        async with gate:
            features = await minimax.features(account, fresh=True, priority=Priority.BACKGROUND)
    except UseapiError as exc:
        report.failed[account] = describe(exc, account).title
        if not isinstance(exc, TOKEN_ERRORS):
            await failed(store, account, exc, tick)
        return None, exc
    await recovered(store, account, features.soonest_expiry(now), tick)
    tick.snapshots[account] = snapshot_of(features)
    return features, None


async def failed(store: AlertStore, account: str, exc: BaseException, tick: Tick) -> None:
    now = tick.now
    problem = describe(exc, None if account == TOKEN_SUBJECT else account)
    health = await store.record_failure(account, problem.title, now)
    log.warning("%s: check failed (%d in a row): %s", account, health.failures, problem.title)
    if not tick.alerting(account):
        return  # "can't read" is snoozed with its account, and said after if still true
    if health.failures >= FAILURES_BEFORE_NOTICE and not health.notified:
        nonce = make_nonce("unreadable", account, health.failing_since)
        notice = Notice(nonce, account, Unreadable(problem.title, problem.advice), now)
        await store.queue(notice, notified=True)
        tick.report.queued += 1


async def recovered(store: AlertStore, account: str, soonest: datetime | None, tick: Tick) -> None:
    now = tick.now
    before = await store.record_success(account, soonest, now)
    if before.notified and tick.alerting(account):
        unreadable = make_nonce("unreadable", account, before.failing_since)
        nonce = make_nonce("readable", account, before.failing_since)
        if await store.readable(account, unreadable, Notice(nonce, account, Readable(), now), now):
            tick.report.queued += 1
