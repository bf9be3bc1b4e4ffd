"""The alert store against both backends: outbox rows, typed payloads, set-aside notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.domain.conditions import Condition, condition_of, key
from alerts.domain.due import AlertKey, ExpiryKind
from alerts.domain.notices import (
    ExpiringSoon,
    ExpiryItem,
    LowBalance,
    Notice,
    NoticeKind,
    Readable,
    Replacement,
    Unreadable,
    expiry_nonce,
)
from alerts.domain.store import AlertDecision, AlertStore
from state import Database
from state.moments import from_epoch
from usage.domain.snapshot import Pool

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


# Outbox rows exactly as the bot wrote them before payloads had types (issue 8's version).
OLD_ROWS = [
    (
        "aold1",
        "acc",
        "expiry",
        '{"items": [{"kind": "video", "credit": 10, "ends_at": 1796212800, "threshold": 24.0},'
        ' {"kind": "session", "credit": null, "ends_at": 1796220000, "threshold": 72}]}',
    ),
    ("aold2", "*token*", "unreadable", '{"title": "useapi.net refused", "advice": "Check it."}'),
    ("aold3", "acc", "readable", "{}"),
]


async def test_outbox_rows_written_before_payloads_had_types_are_read(
    database: Database, store: AlertStore
) -> None:
    await database.executemany(
        "INSERT INTO outbox(nonce, account, kind, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
        [(*row, NOW.isoformat()) for row in OLD_ROWS],
    )
    pending = await store.pending()
    assert [n.payload for n in pending] == [
        ExpiringSoon(
            (
                ExpiryItem(ExpiryKind.VIDEO, 10, from_epoch(1796212800), 24.0),
                ExpiryItem(ExpiryKind.SESSION, None, from_epoch(1796220000), 72),
            )
        ),
        Unreadable("useapi.net refused", "Check it."),
        Readable(),
    ]
    assert [n.kind for n in pending] == [
        NoticeKind.EXPIRY,
        NoticeKind.UNREADABLE,
        NoticeKind.READABLE,
    ]


@pytest.mark.parametrize(
    "payload",
    [
        ExpiringSoon((ExpiryItem(ExpiryKind.AUDIO, 2.5, from_epoch(1796212800), 1.0),)),
        Unreadable("t", "a"),
        Readable(),
        Replacement("aref", "the server's AutoMod blocked it", NoticeKind.EXPIRY),
    ],
)
async def test_every_payload_survives_the_outbox(store: AlertStore, payload: object) -> None:
    notice = Notice("anonce", "acc", payload, NOW)  # type: ignore[arg-type]
    await store.queue(notice, notified=False)
    [back] = await store.pending()
    assert back == notice


async def test_a_set_aside_notice_leaves_the_outbox_and_its_replacement_enters(
    store: AlertStore,
) -> None:
    first = Notice("afirst", "acc", Readable(), NOW)
    await store.queue(first, notified=False)
    assert await store.mark_refused("afirst", "AutoMod") == 1
    assert await store.mark_refused("afirst", "AutoMod") == 2
    instead = Notice("ainstead", "acc", Replacement("afirst", "blocked", NoticeKind.READABLE), NOW)
    await store.set_aside("afirst", "failed", "AutoMod", NOW, instead)
    assert [n.nonce for n in await store.pending()] == ["ainstead"]
    [failed] = await store.failed(5)
    assert (failed.nonce, failed.outcome, failed.reason) == ("afirst", "failed", "AutoMod")
    await store.forget_before(NOW + timedelta(days=1))
    assert await store.failed(5) == []


async def test_a_notice_held_for_a_snooze_is_forgotten_as_said(store: AlertStore) -> None:
    """Its steps are not done, its condition not announced, its "can't read" not told: the
    check after the snooze judges them again (and the same step gets the same nonce)."""
    ends = NOW + timedelta(hours=2)
    step = AlertKey("acc", ExpiryKind.VIDEO, ends, 24.0)
    item = ExpiryItem(ExpiryKind.VIDEO, 10, ends, 24.0)
    expiry = Notice(expiry_nonce([step]), "acc", ExpiringSoon((item,)), NOW)
    await store.save(AlertDecision(expiry, [step]))
    low = Notice("alow", "acc", LowBalance("video", 5, 100), NOW)
    assert await store.rise("acc", key(Condition.LOW_BALANCE, Pool.VIDEO), 1, low)
    await store.record_failure("acc", "down", NOW)
    unreadable = Notice("aunread", "acc", Unreadable("down", "wait"), NOW)
    await store.queue(unreadable, notified=True)
    for notice in (expiry, low, unreadable):
        await store.hold(notice, condition_of(notice.payload))
    assert await store.pending() == []
    assert await store.done_keys("acc") == set()
    assert await store.conditions() == {}
    [health] = [h for h in await store.health() if h.account == "acc"]
    assert not health.notified
    await store.save(AlertDecision(expiry, [step]))  # judged again: the same step, queued
    assert [n.nonce for n in await store.pending()] == [expiry.nonce]
