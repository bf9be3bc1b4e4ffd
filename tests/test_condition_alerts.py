"""The watcher with rules per account (both databases, the fake useapi.net on loopback): each
account's steps and channel, low balance and running out once per crossing, the useapi.net
account's alerts once until they clear, and nothing of it stops the account checks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from alerts.domain.account_rules import ALL, Rule
from alerts.domain.delivery import still_true
from alerts.domain.notices import (
    TOKEN_SUBJECT,
    USEAPI_SUBJECT,
    ExpiringSoon,
    LowBalance,
    Notice,
    NoticeKind,
    RunningOut,
    UseapiTrouble,
)
from alerts.domain.rule_store import RuleStore
from alerts.domain.silences import Silences, Snooze
from alerts.domain.store import AlertStore
from alerts.domain.watcher import Watcher
from minimax_api import MiniMaxClient
from state import Database
from testbed.upstream import FakeUseapi, Fault, sample_features, useapi_account_payload
from tests.support.watching import Clock
from usage.domain.history import History
from usage.domain.snapshot import Snapshot

DEFAULTS = Rule(channel_id=1, steps=(72.0, 24.0, 1.0))


class Ticking(Clock):
    """A clock five minutes on at each reading: one check each."""

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=5)
        return self.now


def watching(
    client: MiniMaxClient,
    store: AlertStore,
    db: Database,
    clock: Clock,
    *,
    defaults: Rule = DEFAULTS,
    accounts: tuple[str, ...] = ("a", "b"),
) -> Watcher:
    rules = RuleStore(db)
    return Watcher(
        client,
        store,
        accounts=accounts,
        thresholds=(),
        history=History(db),
        silences=Silences(db),
        rules=lambda: rules.book(defaults),
        useapi=True,
        clock=clock,
    )


async def queued(store: AlertStore) -> list[Notice]:
    """What the checks queued since the last call (marked sent, as the channel would)."""
    pending = await store.pending()
    for notice in pending:
        await store.mark_sent(notice.nonce, 1, notice.created_at)
    return pending


def features(total: int, *, audio: bool = False) -> dict:
    return sample_features(
        batches_in_hours=[500], audio_in_hours=[600] if audio else None, total=total
    )


async def test_each_account_warns_at_its_own_steps_and_only_where_it_has_a_channel(
    client: MiniMaxClient, store: AlertStore, database: Database, upstream: FakeUseapi
) -> None:
    for account in ("a", "b", "c"):
        upstream.add_account(account, sample_features(batches_in_hours=[30], audio_in_hours=None))
    rules = RuleStore(database)
    await rules.edit("a", lambda _: Rule(steps=(48.0,)), 1, datetime.now(UTC))
    await rules.edit("c", lambda _: Rule(channel_id=9), 1, datetime.now(UTC))
    defaults = Rule(steps=(72.0, 24.0))
    w = watching(client, store, database, Clock(), defaults=defaults, accounts=("a", "b", "c"))
    await w.check()
    found = {n.account: n.payload for n in await queued(store)}
    assert set(found) == {"c"}, "a and b have no channel: read, not alerted"
    await rules.edit(ALL, lambda _: Rule(channel_id=8), 1, datetime.now(UTC))
    await w.check()
    found = {n.account: n.payload for n in await queued(store)}
    assert set(found) == {"a", "b"}, "the rule for all gives them a channel at the next check"
    a, b = found["a"], found["b"]
    assert isinstance(a, ExpiringSoon) and isinstance(b, ExpiringSoon)
    assert [i.threshold for i in a.items] == [48.0], "a's own step"
    assert [i.threshold for i in b.items] == [72.0], "b keeps the default steps"


async def test_low_balance_alerts_once_per_crossing_and_rearms_above_it(
    client: MiniMaxClient, store: AlertStore, database: Database, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", features(50))
    upstream.add_account("b", features(50))
    await RuleStore(database).edit("a", lambda _: Rule(low_balance=100.0), 1, datetime.now(UTC))
    w = watching(client, store, database, Ticking())
    await w.check()
    [low] = [n for n in await queued(store) if n.kind is NoticeKind.LOW_BALANCE]
    assert low.account == "a" and low.payload == LowBalance("video", 50.0, 100.0)
    await w.check()
    assert await queued(store) == [], "still low: said once"
    upstream.add_account("a", features(150))
    await w.check()
    assert await queued(store) == [], "above it again: nothing to say, re-armed"
    upstream.add_account("a", features(99))
    await w.check()
    again = await queued(store)
    assert [(n.account, n.payload) for n in again] == [("a", LowBalance("video", 99.0, 100.0))]


async def test_the_audio_credits_alert_low_by_low_audio_only_and_never_without_audio(
    client: MiniMaxClient, store: AlertStore, database: Database, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", features(500, audio=True))  # 100 audio credits
    upstream.add_account("b", features(500))  # none
    rules = RuleStore(database)
    now = datetime.now(UTC)
    await rules.edit(ALL, lambda _: Rule(low_audio=1000.0), 1, now)
    await rules.edit("a", lambda _: Rule(low_audio=150.0), 1, now)  # no low_balance
    w = watching(client, store, database, Ticking())
    await w.check()
    lows = [n for n in await queued(store) if n.kind is NoticeKind.LOW_BALANCE]
    assert [(n.account, n.payload) for n in lows] == [("a", LowBalance("audio", 100.0, 150.0))], (
        "a's video/image credits have no threshold; b has no audio credits to judge"
    )
    assert set((await store.conditions())["a"]) == {"low:audio"}
    await rules.edit("a", lambda _: Rule(low_balance=100.0, low_audio=0.0), 1, now)
    await w.check()
    assert await queued(store) == [] and "a" not in await store.conditions(), (
        "its rule turned it off: re-armed"
    )
    await rules.edit("a", lambda _: Rule(low_balance=600.0), 1, now)
    await w.check()
    again = {(n.account, n.payload) for n in await queued(store)}
    assert again == {
        ("a", LowBalance("video", 500.0, 600.0)),
        ("a", LowBalance("audio", 100.0, 1000.0)),
    }, "unset in its rule, low_audio is the server default's"


async def test_a_snoozed_account_says_nothing_of_its_balance_until_the_snooze_ends(
    client: MiniMaxClient, store: AlertStore, database: Database, upstream: FakeUseapi
) -> None:
    clock = Clock()
    upstream.add_account("a", features(10))
    upstream.add_account("b", features(500))
    await RuleStore(database).edit(ALL, lambda _: Rule(low_balance=100.0), 1, clock.now)
    await Silences(database).snooze(Snooze("a", clock.now + timedelta(hours=1), 7, "", clock.now))
    w = watching(client, store, database, clock)
    await w.check()
    assert await queued(store) == []
    clock.now += timedelta(hours=2)
    await w.check()
    kinds = sorted(n.kind for n in await queued(store))
    assert kinds == [NoticeKind.LOW_BALANCE, NoticeKind.RESUMED]


async def test_running_out_at_the_pace_alerts_once_and_never_without_a_day_of_history(
    client: MiniMaxClient, store: AlertStore, database: Database, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", features(100))
    upstream.add_account("b", features(100))
    await RuleStore(database).edit(ALL, lambda _: Rule(runs_out_days=3.0), 1, datetime.now(UTC))
    history = History(database)
    now = datetime.now(UTC)
    await history.record([("a", Snapshot(now - timedelta(hours=20), 1000.0, 0.0))])
    w = watching(client, store, database, Ticking())
    w.history = history
    await w.check()
    assert await queued(store) == [], "20 hours of history: no pace, no alert"
    await history.record([("b", Snapshot(now - timedelta(days=2), 1000.0, 0.0))])
    await w.check()
    [out] = await queued(store)
    assert out.account == "b" and isinstance(out.payload, RunningOut)
    assert out.payload.per_day > 400 and out.payload.at - now < timedelta(days=1)
    await w.check()
    assert await queued(store) == [], "still running out: said once"


async def test_the_useapi_account_alerts_once_until_it_clears_then_says_so(
    client: MiniMaxClient, store: AlertStore, database: Database, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", features(500))
    upstream.useapi_account = useapi_account_payload(total=4, error=1)
    w = watching(client, store, database, Ticking(), accounts=("a",))
    await w.check()
    [trouble] = await queued(store)
    assert trouble.account == USEAPI_SUBJECT
    assert trouble.payload == UseapiTrouble("account_errors", errors=1, total=4)
    await w.check()
    assert await queued(store) == []
    upstream.useapi_account = useapi_account_payload(total=4, error=0, active=False)
    await w.check()
    said = {n.payload for n in await queued(store)}
    assert said == {
        UseapiTrouble("account_errors", cleared=True),
        UseapiTrouble("subscription"),
    }
    upstream.useapi_account = useapi_account_payload(total=4)
    await w.check()
    assert {n.payload for n in await queued(store)} == {UseapiTrouble("subscription", cleared=True)}


async def test_a_failing_useapi_account_read_never_stops_the_account_checks(
    client: MiniMaxClient, store: AlertStore, database: Database, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[30], audio_in_hours=None))
    upstream.fail_account(Fault("status", status=500))
    w = watching(client, store, database, Ticking(), accounts=("a",))
    report = await w.check()
    assert report.failed == {}
    assert [n.kind for n in await queued(store)] == [NoticeKind.EXPIRY]
    assert upstream.account_calls(), "it was asked"


async def test_two_processes_judging_one_crossing_queue_one_alert(
    client: MiniMaxClient, store: AlertStore, database: Database, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", features(50))
    await RuleStore(database).edit("a", lambda _: Rule(low_balance=100.0), 1, datetime.now(UTC))
    clock = Ticking()
    first = watching(client, store, database, clock, accounts=("a",))
    second = watching(client, AlertStore(database), database, clock, accounts=("a",))
    await asyncio.gather(first.check(), second.check())
    assert [n.kind for n in await queued(store)] == [NoticeKind.LOW_BALANCE]


async def test_a_condition_that_clears_before_its_alert_is_posted_drops_the_alert(
    client: MiniMaxClient, store: AlertStore, database: Database, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", features(50))
    await RuleStore(database).edit("a", lambda _: Rule(low_balance=100.0), 1, datetime.now(UTC))
    w = watching(client, store, database, Ticking(), accounts=("a",))
    await w.check()
    [waiting] = await store.pending()  # the channel refuses it meanwhile: not posted
    upstream.add_account("a", features(500))  # topped up
    await w.check()
    assert await store.pending() == [], "no longer true: set aside, never posted late"
    upstream.add_account("a", features(50))
    await w.check()
    [again] = await store.pending()
    assert again.nonce != waiting.nonce, "a new crossing is a new alert"


def test_a_running_out_alert_whose_moment_passed_is_not_posted() -> None:
    now = datetime.now(UTC)
    notice = Notice("n", "a", RunningOut("video", 5.0, 10.0, now - timedelta(minutes=1), 3.0), now)
    assert still_true(notice, now) is None
    later = Notice("n", "a", RunningOut("video", 5.0, 10.0, now + timedelta(hours=1), 3.0), now)
    assert still_true(later, now) == later


async def test_an_account_whose_balance_alerts_fail_keeps_its_expiry_alerts(
    client: MiniMaxClient,
    store: AlertStore,
    database: Database,
    upstream: FakeUseapi,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[30], audio_in_hours=None))
    await RuleStore(database).edit("a", lambda _: Rule(low_balance=3.0), 1, datetime.now(UTC))

    def broken(*args: object) -> None:
        raise OverflowError("date value out of range")  # what a huge balance once did

    monkeypatch.setattr("alerts.domain.condition_alerts.balance_conditions", broken)
    w = watching(client, store, database, Ticking(), accounts=("a",))
    report = await w.check()
    assert report.failed == {}
    assert [n.kind for n in await queued(store)] == [NoticeKind.EXPIRY]


async def test_the_subscription_alert_fires_when_the_listing_fails_too(
    client: MiniMaxClient, store: AlertStore, database: Database, upstream: FakeUseapi
) -> None:
    upstream.listing_faults.append(Fault("status", status=402))
    upstream.fail_account(Fault("status", status=402))
    w = watching(client, store, database, Ticking(), accounts=())
    report = await w.check()
    assert TOKEN_SUBJECT in report.failed, "the listing did fail"
    payloads = [n.payload for n in await queued(store)]
    assert UseapiTrouble("subscription") in payloads


async def test_an_account_without_a_channel_rearms_and_alerts_once_it_has_one_again(
    client: MiniMaxClient, store: AlertStore, database: Database, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", features(50))
    rules = RuleStore(database)
    now = datetime.now(UTC)
    await rules.edit("a", lambda _: Rule(channel_id=5, low_balance=100.0), 1, now)
    w = watching(client, store, database, Ticking(), defaults=Rule(), accounts=("a",))
    await w.check()
    assert [n.kind for n in await queued(store)] == [NoticeKind.LOW_BALANCE]
    await rules.edit("a", lambda _: Rule(low_balance=100.0), 1, now)  # its channel is taken away
    upstream.add_account("a", features(500))
    await w.check()
    upstream.add_account("a", features(40))
    await w.check()
    assert await queued(store) == [], "nowhere to go: nothing queued"
    await rules.edit("a", lambda _: Rule(channel_id=5, low_balance=100.0), 1, now)
    await w.check()
    assert [n.payload for n in await queued(store)] == [LowBalance("video", 40.0, 100.0)]


async def test_back_to_normal_follows_only_an_alert_that_was_posted(
    client: MiniMaxClient, store: AlertStore, database: Database, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", features(500))
    upstream.useapi_account = useapi_account_payload(total=4, error=1)
    w = watching(client, store, database, Ticking(), accounts=("a",))
    await w.check()
    [waiting] = await store.pending()  # not posted (the channel refuses, say)
    upstream.useapi_account = useapi_account_payload(total=4)
    await w.check()
    assert await store.pending() == [], "the alert is dropped and nothing says back to normal"
    assert waiting.payload == UseapiTrouble("account_errors", errors=1, total=4)


async def test_no_request_of_a_check_outlives_it(
    client: MiniMaxClient, store: AlertStore, database: Database, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", features(500))
    upstream.listing_faults.append(Fault("slow", delay=5.0))
    w = watching(client, store, database, Ticking(), defaults=Rule(), accounts=("a",))
    await w.check()  # "a" has no channel: its expiry plan, which reads the listing, is skipped
    names = {t.get_coro().__qualname__ for t in asyncio.all_tasks() if not t.done()}  # type: ignore[union-attr]
    assert not {"Watcher._listing", "Watcher._useapi"} & names


UNREADABLE_COUNTS = {
    "null": None,
    "text": "n/a",
    "a list": [2],
    "an object": {"n": 2},
    "a fraction": 1.5,
    "negative": -1,
    "a flag": True,
}


@pytest.mark.parametrize("count", UNREADABLE_COUNTS.values(), ids=UNREADABLE_COUNTS.keys())
async def test_an_error_count_that_cannot_be_read_leaves_the_open_alert_alone(
    client: MiniMaxClient,
    store: AlertStore,
    database: Database,
    upstream: FakeUseapi,
    count: object,
) -> None:
    upstream.add_account("a", features(500))
    upstream.useapi_account = useapi_account_payload(total=4, error=2)
    w = watching(client, store, database, Ticking(), accounts=("a",))
    await w.check()
    [trouble] = await queued(store)
    assert trouble.payload == UseapiTrouble("account_errors", errors=2, total=4)
    unreadable = useapi_account_payload(total=4, error=2)
    unreadable["accounts"]["MiniMax API"]["error"] = count
    upstream.useapi_account = unreadable
    await w.check()
    assert await queued(store) == [], "a count that cannot tell says nothing"
    upstream.useapi_account = useapi_account_payload(total=4, error=2)
    await w.check()
    assert await queued(store) == [], "still the same trouble: said once"
    upstream.useapi_account = useapi_account_payload(total=4)
    await w.check()
    assert [n.payload for n in await queued(store)] == [
        UseapiTrouble("account_errors", cleared=True)
    ], "a read that can tell says back to normal"
