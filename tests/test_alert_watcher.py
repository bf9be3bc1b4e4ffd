"""The watcher against the loopback useapi.net and a real store (SQLite and PostgreSQL), with
a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.domain.notices import TOKEN_SUBJECT, NoticeKind
from alerts.domain.store import AlertStore
from testbed.upstream import Fault, account_entry, sample_features
from tests.support.watching import Clock, watcher


async def sent_all(store: AlertStore) -> list:
    pending = await store.pending()
    for n in pending:
        await store.mark_sent(n.nonce, 1, datetime.now(UTC))
    return pending


async def test_a_batch_two_hours_away_alerts_once(client, store, upstream) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[2], audio_in_hours=None))
    w = watcher(client, store, Clock())
    await w.check()
    [notice] = await sent_all(store)
    assert notice.kind is NoticeKind.EXPIRY
    assert [i.threshold for i in notice.payload.items] == [24]
    for _ in range(3):
        await w.check()
    assert await store.pending() == []


async def test_pending_notices_survive_and_keep_their_nonce(client, store, upstream) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[2]))
    w = watcher(client, store, Clock())
    await w.check()
    first = await store.pending()
    await w.check()
    assert await store.pending() == first, "nothing new is claimed while the first is unsent"
    await store.mark_failed(first[0].nonce, "403")
    assert [n.nonce for n in await store.pending()] == [first[0].nonce]


async def test_one_message_lists_every_new_batch_of_an_account(client, store, upstream) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[2, 30, 100], audio_in_hours=[0.5]))
    upstream.listing_extra["a"] = account_entry("a", session_in_days=2)
    await watcher(client, store, Clock()).check()
    [notice] = await sent_all(store)
    items = notice.payload.items
    assert sorted((i.kind, i.threshold) for i in items) == [
        ("audio", 1), ("session", 72), ("video", 24), ("video", 72),
    ]  # fmt: skip


async def test_a_failing_account_does_not_stop_the_others(client, store, upstream) -> None:
    upstream.add_account("a")
    upstream.add_account("b", sample_features(batches_in_hours=[2]))
    upstream.fail("a", Fault("status", status=500))
    report = await watcher(client, store, Clock(), accounts=("a", "b")).check()
    assert set(report.failed) == {"a"}
    [notice] = await sent_all(store)
    assert notice.account == "b"


async def test_three_failures_then_recovery(client, store, upstream) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[200]))
    upstream.fail("a", Fault("status", status=596))
    clock = Clock()
    w = watcher(client, store, clock)
    for _ in range(2):
        await w.check()
    assert await store.pending() == [], "two failures in a row are not worth a message"
    for _ in range(3):
        await w.check()
        clock.now += timedelta(minutes=30)
    [notice] = await sent_all(store)
    assert notice.kind is NoticeKind.UNREADABLE and notice.payload.title.endswith(
        "rejected its session"
    )
    upstream.clear()
    await w.check()
    await w.check()
    [notice] = await sent_all(store)
    assert notice.kind is NoticeKind.READABLE
    upstream.fail("a", Fault("status", status=500))
    for _ in range(3):
        await w.check()
    [again] = await sent_all(store)
    assert again.kind is NoticeKind.UNREADABLE, "a new failure streak is announced again"


async def test_a_refused_token_is_reported_once_not_per_account(client, store, upstream) -> None:
    for name in "abc":
        upstream.add_account(name)
        upstream.fail(name, Fault("status", status=401))
    w = watcher(client, store, Clock(), accounts=("a", "b", "c"))
    for _ in range(4):
        await w.check()
    [notice] = await sent_all(store)
    assert notice.account == TOKEN_SUBJECT
    assert {h.account for h in await store.health() if h.failures} == {TOKEN_SUBJECT}


async def test_without_configured_accounts_the_listing_is_watched(client, store, upstream) -> None:
    upstream.add_account("x", sample_features(batches_in_hours=[2]))
    upstream.add_account("y", sample_features(batches_in_hours=[500]))
    report = await watcher(client, store, Clock(), accounts=()).check()
    assert report.accounts == ["x", "y"]
    assert [n.account for n in await store.pending()] == ["x"]


async def test_old_keys_are_forgotten(client, store, upstream) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[2]))
    clock = Clock()
    w = watcher(client, store, clock)
    await w.check()
    await sent_all(store)
    assert await store.done_keys("a")
    clock.now += timedelta(days=40)
    await w.check()
    assert await store.done_keys("a") == set()
