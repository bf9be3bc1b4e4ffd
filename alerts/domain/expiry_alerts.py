"""The expiry alerts of one account in a check: what newly crossed one of its steps (the most
severe only, batches the team acknowledged left out), each video and audio item with what of
its batch expires unused at the account's pace. `_paced` counts as one batch the forecast's
batches that are the same batch as the item (`same_batch`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from alerts.domain.due import plan, subjects
from alerts.domain.follow_ups import resolve_expiry
from alerts.domain.notices import ExpiringSoon, ExpiryItem, Notice, expiry_nonce
from alerts.domain.silences import acknowledged
from alerts.domain.store import AlertDecision, AlertStore
from alerts.domain.tick import Tick
from minimax_api import Features
from usage.domain.history import History
from usage.domain.outlook import Outlook
from usage.domain.snapshot import Pool, same_batch


def _paced(item: ExpiryItem, outlooks: dict[Pool, Outlook]) -> ExpiryItem:
    pool = item.kind.pool
    found = outlooks.get(pool) if pool else None
    if found is None or found.forecast is None:
        return item
    unused = sum(
        b.unused for b in found.forecast.batches if same_batch(b.batch.ends_at, item.ends_at)
    )
    return replace(item, unused=unused, per_day=found.forecast.per_day)


async def expiry(
    store: AlertStore,
    history: History | None,
    window: timedelta,
    account: str,
    features: Features | None,
    tick: Tick,
) -> None:
    """Queue what newly crossed one of the account's steps (the most severe only)."""
    now, report = tick.now, tick.report
    found = await tick.listing
    info = found.get(account) if isinstance(found, dict) else None
    found_subjects = subjects(account, features, info)
    if features is not None:
        alive = [
            (str(s.kind), s.ends_at) for s in found_subjects if s.credit is None or s.credit > 0
        ]
        await resolve_expiry(store.db, account, alive, now, sessions_known=info is not None)
    post, silence = plan(
        found_subjects,
        tick.rules(account).steps,
        now,
        await store.done_keys(account),
    )
    post = [d for d in post if not acknowledged(d.subject, tick.acked)]
    if post or silence:
        notice = None
        if post:
            items = await with_pace(
                history, window, account, [ExpiryItem.of(d) for d in post], tick
            )
            nonce = expiry_nonce(d.key for d in post)
            notice = Notice(nonce, account, ExpiringSoon(items), now)
            report.queued += 1
        await store.save(AlertDecision(notice, [d.key for d in post], silence))


async def with_pace(
    history: History | None, window: timedelta, account: str, items: list[ExpiryItem], tick: Tick
) -> tuple[ExpiryItem, ...]:
    """The items with what of each batch expires unused at the account's pace."""
    current = tick.snapshots.get(account)
    if history is None or current is None or not any(i.kind.pool for i in items):
        return tuple(items)
    found = await history.outlooks(account, tick.now, window, current)
    outlooks = {o.pool: o for o in found}
    return tuple(_paced(i, outlooks) for i in items)
