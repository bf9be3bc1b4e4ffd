"""What the team answers to alerts, in the watcher and the delivery: snoozed accounts wait,
acknowledged batches are not announced again, alerts due together share a message."""

from __future__ import annotations

from datetime import timedelta

from alerts.domain.delivery import unanswered
from alerts.domain.due import ExpiryKind
from alerts.domain.notices import ExpiringSoon, ExpiryItem, Notice, NoticeKind, Readable, Resumed
from alerts.domain.port import units
from alerts.domain.silences import Ack, Silences, Snooze
from alerts.domain.store import AlertStore
from alerts.domain.watcher import Watcher
from minimax_api import MiniMaxClient
from state import Database
from state.moments import to_the_second
from testbed.upstream import FakeUseapi, sample_features
from tests.support.watching import Clock


def watching(client: MiniMaxClient, store: AlertStore, db: Database, clock: Clock) -> Watcher:
    return Watcher(
        client,
        store,
        accounts=("a", "b"),
        thresholds=(72, 24, 1),
        silences=Silences(db),
        clock=clock,
    )


async def posted(store: AlertStore) -> list[Notice]:
    """What the check queued, marked sent (as the channel would)."""
    pending = await store.pending()
    for notice in pending:
        await store.mark_sent(notice.nonce, 1, notice.created_at)
    return pending


async def test_a_snoozed_account_waits_and_its_most_severe_step_follows_the_snooze(
    client: MiniMaxClient, store: AlertStore, database: Database, upstream: FakeUseapi
) -> None:
    clock = Clock()
    for account in ("a", "b"):
        upstream.add_account(account, sample_features(batches_in_hours=[30], audio_in_hours=None))
    silences = Silences(database)
    await silences.snooze(Snooze("a", clock.now + timedelta(hours=20), 42, "", clock.now))
    w = watching(client, store, database, clock)
    await w.check()
    assert [n.account for n in await posted(store)] == ["b"], "a is snoozed, b is not"
    clock.now += timedelta(hours=20, minutes=1)  # 29 h gone: the batch is 59 minutes away
    for account in ("a", "b"):
        features = sample_features(batches_in_hours=[59 / 60], audio_in_hours=None, now=clock.now)
        upstream.add_account(account, features)
    await w.check()
    found = await posted(store)
    assert sorted((n.account, n.kind) for n in found) == [
        ("a", NoticeKind.EXPIRY),
        ("a", NoticeKind.RESUMED),
        ("b", NoticeKind.EXPIRY),
    ]
    [resumed] = [n.payload for n in found if isinstance(n.payload, Resumed)]
    assert resumed.by == 42
    [a_alert] = [n.payload for n in found if n.account == "a" and n.kind is NoticeKind.EXPIRY]
    assert isinstance(a_alert, ExpiringSoon)
    assert [i.threshold for i in a_alert.items] == [1], "the most severe step only, once"
    await w.check()
    assert await posted(store) == [], "and nothing again"


async def test_an_acknowledged_batch_is_not_announced_again_but_a_new_batch_is(
    client: MiniMaxClient, store: AlertStore, database: Database, upstream: FakeUseapi
) -> None:
    clock = Clock()
    for account in ("a", "b"):
        upstream.add_account(account, sample_features(batches_in_hours=[30], audio_in_hours=None))
    w = watching(client, store, database, clock)
    await w.check()
    first = await posted(store)
    [a_alert] = [n.payload for n in first if n.account == "a"]
    assert isinstance(a_alert, ExpiringSoon)
    ends = a_alert.items[0].ends_at
    await Silences(database).acknowledge([Ack("a", "video", ends, 42, clock.now)])
    clock.now += timedelta(hours=7)  # 23 h left: the 24-hour step
    for account in ("a", "b"):
        features = sample_features(batches_in_hours=[23], audio_in_hours=None, now=clock.now)
        upstream.add_account(account, features)
    await w.check()
    assert [n.account for n in await posted(store)] == ["b"], "a's batch was acknowledged"
    renewed = sample_features(batches_in_hours=[23, 20], audio_in_hours=None, now=clock.now)
    upstream.add_account("a", renewed)  # a second batch appears: a new batch alerts
    await w.check()
    [again] = await posted(store)
    assert again.account == "a" and isinstance(again.payload, ExpiringSoon)
    assert len(again.payload.items) == 1 and again.payload.items[0].ends_at != ends


def test_alerts_due_together_share_messages_where_the_first_stood() -> None:
    def notice(account: str, payload: object) -> Notice:
        return Notice(f"n-{account}", account, payload, Clock().now)  # type: ignore[arg-type]

    expiry = ExpiringSoon(())
    found = units(
        [
            notice("r1", Readable()),
            notice("a", expiry),
            notice("r2", Readable()),
            notice("b", expiry),
            notice("c", expiry),
        ],
    )
    assert [[n.account for n in unit] for unit in found] == [["r1"], ["a", "b", "c"], ["r2"]]


def test_what_was_answered_while_it_waited_in_the_outbox_is_not_posted() -> None:
    now = Clock().now
    ends = to_the_second(now + timedelta(hours=20))
    video = ExpiryItem(ExpiryKind.VIDEO, 10, ends, 24)
    audio = ExpiryItem(ExpiryKind.AUDIO, 5, ends, 24)
    waiting = Notice("n1", "a", ExpiringSoon((video, audio)), now)
    assert unanswered(waiting, {"a"}, []) is None, "snoozed since"
    ack = Ack("a", "video", ends + timedelta(minutes=5), 42, now)  # the same batch
    left = unanswered(waiting, (), [ack])
    assert left is not None and isinstance(left.payload, ExpiringSoon)
    assert left.payload.items == (audio,), "the acknowledged batch is left out"
    assert unanswered(waiting, {"b"}, []) is waiting
    readable = Notice("n2", "a", Readable(), now)
    assert unanswered(readable, {"a"}, []) is readable, "only the alerts that share a message"
