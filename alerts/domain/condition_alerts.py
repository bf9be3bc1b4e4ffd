"""The condition alerts of a check: low balance and running out per account, the job failure
alert (judged by the statistics reader, `job_stats`), and the useapi.net account's troubles.
A condition is queued once when it starts to hold and re-armed when it is seen clear; the
store keeps which hold since when (`Tick.conditions`). While an account is snoozed or its
alerts go nowhere nothing is queued, but clearing still re-arms."""

from __future__ import annotations

import logging
from datetime import timedelta

from alerts.domain.conditions import (
    Condition,
    Judged,
    balance_conditions,
    gone_pools,
    low_threshold,
    switched_off,
    transitions,
)
from alerts.domain.notices import (
    USEAPI_SUBJECT,
    JobFailures,
    Notice,
    UseapiTrouble,
    make_nonce,
)
from alerts.domain.store import AlertStore
from alerts.domain.tick import Tick
from minimax_api import Features
from state import StoreUnavailable
from state.moments import to_ms
from usage.domain.history import History
from usage.domain.snapshot import Pool

log = logging.getLogger(__name__)


async def balance(
    store: AlertStore,
    history: History | None,
    window: timedelta,
    account: str,
    features: Features | None,
    tick: Tick,
) -> None:
    """Low balance and running out, by the account's rules: announced once per crossing.
    A failure here is logged and never costs the account its expiry alerts."""
    rules = tick.rules(account)
    current = tick.snapshots.get(account)
    active = tick.conditions.get(account, {})
    if features is None or current is None:
        return
    off = rules.low_balance is None and rules.low_audio is None
    if off and rules.runs_out_days is None and not active:
        return
    try:
        pools = [Pool.VIDEO] + ([Pool.AUDIO] if features.audio is not None else [])
        outlooks = {}
        if rules.runs_out_days is not None and history is not None:
            found = await history.outlooks(account, tick.now, window, current)
            outlooks = {o.pool: o for o in found}
        judged = balance_conditions(current, pools, rules, outlooks, tick.now)
        gone = gone_pools(active, pools)  # no audio any more: nothing of it holds
        judged = Judged(judged.true, judged.false | switched_off(active, rules) | gone)
        await judge(store, account, judged, tick)
    except StoreUnavailable:
        raise
    except Exception:
        log.exception("the balance alerts of account %r failed", account)


async def judge(store: AlertStore, account: str, judged: Judged, tick: Tick) -> None:
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
            if await store.rise(account, condition, since, notice):
                tick.report.queued += 1
    for condition in clear:
        since = active[condition]
        held = make_nonce("condition", account, condition, since)
        said = _cleared(account, condition, since, judged, tick)
        how = resolution(account, condition, judged, tick)
        await store.clear(account, condition, since, held, said, how)


def resolution(account: str, condition: str, judged: Judged, tick: Tick) -> str:
    """How a condition's cause ended, as its resolved alert message says."""
    name, _, pool = condition.partition(":")
    said = judged.said.get(condition)
    if isinstance(said, JobFailures):
        return f"{said.rate:.0f} % of its last {said.jobs} jobs succeeded"
    if name == Condition.SUBSCRIPTION:
        return "the useapi.net subscription is active again"
    if name == Condition.ACCOUNT_ERRORS:
        return "no MiniMax account is in error at useapi.net any more"
    if name == Condition.JOB_FAILURES:
        return "the job failure alert is off now"
    rules = tick.rules(account)
    snapshot = tick.snapshots.get(account)
    if name == Condition.LOW_BALANCE:
        if low_threshold(rules, Pool(pool)) is None or snapshot is None:
            return "its low-balance alert is off now"
        return f"the balance is back to {snapshot.total(Pool(pool)):.0f}, at or above the threshold"
    if rules.runs_out_days is None:
        return "its running-out alert is off now"
    return f"at its pace it no longer runs out within {rules.runs_out_days:g} days"


def _cleared(account: str, condition: str, since: int, judged: Judged, tick: Tick) -> Notice | None:
    """What to say when a condition clears: the useapi.net account's troubles say so, and
    the conditions judged with something to say (jobs succeed again) while the account's
    alerts go somewhere and it is not snoozed."""
    nonce = make_nonce("cleared", account, condition, since)
    if account == USEAPI_SUBJECT:
        return Notice(nonce, account, UseapiTrouble(condition, cleared=True), tick.now)
    payload = judged.said.get(condition)
    if payload is None or not tick.alerting(account):
        return None
    return Notice(nonce, account, payload, tick.now)
