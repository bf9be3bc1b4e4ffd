"""The job statistics reader against the loopback useapi.net, on SQLite and PostgreSQL: the
backfill bounded and at background priority, today at most every interval, yesterday once
after midnight, nothing read again after a restart or by a second replica, and a bad read
retried without stopping the others."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from alerts.domain.account_rules import Rule, RuleBook
from alerts.domain.job_stats import SETTLE, StatsReader, due
from alerts.domain.notices import (
    USEAPI_SUBJECT,
    Notice,
    NoticeKind,
    StatsReadable,
    StatsUnreadable,
    load_payload,
)
from alerts.domain.store import AlertStore
from alerts.render.messages import notice_embed
from minimax_api import Priority, RateLimiter
from state import Database, open_database
from testbed.databases import BACKENDS
from testbed.upstream import Fault
from tests.support.clients import make
from tests.support.databases import database_target
from tests.support.watching import Clock
from usage.domain.jobs import AccountJobs, DayRead, JobStore

TODAY = date(2026, 12, 1)
INTERVAL = timedelta(minutes=15)
WINDOW = 7


class Spy(RateLimiter):
    """The client's rate limiter, remembering each priority asked for."""

    def __init__(self) -> None:
        super().__init__(1000, burst=1000)
        self.seen: list[Priority] = []

    async def acquire(self, priority=Priority.INTERACTIVE, **kw) -> None:
        self.seen.append(priority)
        await super().acquire(priority, **kw)


def clock_at(moment: datetime) -> Clock:
    clock = Clock()
    clock.now = moment
    return clock


def reader(session, upstream, db: Database, clock: Clock, limiter: RateLimiter | None = None):
    client = make(session, upstream, limiter=limiter)
    return StatsReader(client, JobStore(db), window_days=WINDOW, interval=INTERVAL, clock=clock)


def test_what_is_due_backfill_then_today_then_yesterday_once() -> None:
    now = datetime(2026, 12, 1, 10, tzinfo=UTC)
    first = due(["a", "b"], [], now, window_days=WINDOW, interval=INTERVAL)
    assert len(first) == 2 * WINDOW
    assert [d.day for d in first[:2]] == [TODAY, TODAY], "the newest days first"
    assert [d.final for d in first] == [False, False] + [True] * (2 * WINDOW - 2)
    read = [DayRead(d.account, d.day, now, d.final) for d in first]
    assert due(["a", "b"], read, now + INTERVAL / 2, window_days=WINDOW, interval=INTERVAL) == []
    later = due(["a", "b"], read, now + INTERVAL, window_days=WINDOW, interval=INTERVAL)
    assert [(d.account, d.day) for d in later] == [("a", TODAY), ("b", TODAY)]
    tomorrow = datetime(2026, 12, 2, tzinfo=UTC)
    early = due(["a"], read, tomorrow + SETTLE / 2, window_days=WINDOW, interval=INTERVAL)
    assert [(d.day, d.final) for d in early] == [(TODAY + timedelta(days=1), False), (TODAY, False)]
    settled = due(["a"], read, tomorrow + SETTLE, window_days=WINDOW, interval=INTERVAL)
    assert [(d.day, d.final) for d in settled] == [
        (TODAY + timedelta(days=1), False),
        (TODAY, True),
    ]
    done = [*read, DayRead("a", TODAY, tomorrow + SETTLE, True)]
    again = due(["a"], done, tomorrow + SETTLE + INTERVAL, window_days=WINDOW, interval=INTERVAL)
    assert [d.day for d in again] == [TODAY + timedelta(days=1)], "yesterday is read once"


async def test_the_backfill_is_bounded_at_background_priority_then_only_today(
    session, upstream, database: Database
) -> None:
    for back in range(10):
        upstream.add_job("a", TODAY - timedelta(days=back), "m1", count=2)
        upstream.add_job("b", TODAY - timedelta(days=back), "m2", code=596)
    clock = clock_at(datetime(2026, 12, 1, 10, tzinfo=UTC))
    spy = Spy()
    stats = reader(session, upstream, database, clock, spy)
    first = await stats.run(["a", "b"])
    assert first.ok and first.reads == 2 * WINDOW
    assert len(upstream.stats_calls()) == 2 * WINDOW, "the window, once per account and day"
    assert set(spy.seen) == {Priority.BACKGROUND}
    assert {r.query["config"] for r in upstream.stats_calls()} == {"a", "b"}
    assert {r.query["date"] for r in upstream.stats_calls()} == {
        (TODAY - timedelta(days=k)).isoformat() for k in range(WINDOW)
    }
    store = JobStore(database)
    window = (TODAY - timedelta(days=WINDOW - 1), TODAY)
    assert await store.by_model(None, *window) == {"m1": 14, "m2": 7}
    assert await store.outcomes(["b"], *window) == {596: 7}

    assert (await stats.run(["a", "b"])).reads == 0, "nothing is due a moment later"
    upstream.add_job("a", TODAY, "m1")
    clock.now += INTERVAL
    assert (await stats.run(["a", "b"])).reads == 2
    assert len(upstream.stats_calls()) == 2 * WINDOW + 2
    assert (await store.by_account(["a"], TODAY, TODAY))["a"].jobs == 3


async def test_a_restart_and_a_second_replica_do_not_read_again_nor_double(
    session, upstream, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    for backend in BACKENDS:
        upstream.requests.clear()
        target = database_target(backend, request, tmp_path / backend)
        (tmp_path / backend).mkdir()
        one, two = await open_database(target), await open_database(target)
        try:
            upstream.jobs.clear()
            upstream.add_job("a", TODAY, count=4)
            clock = clock_at(datetime(2026, 12, 1, 10, tzinfo=UTC))
            await asyncio.gather(
                reader(session, upstream, one, clock).run(["a"]),
                reader(session, upstream, two, clock).run(["a"]),
            )
            calls = len(upstream.stats_calls())
            assert WINDOW <= calls <= 2 * WINDOW
            restarted = reader(session, upstream, two, clock)
            assert (await restarted.run(["a"])).reads == 0, f"{backend}: no backfill again"
            clock.now += INTERVAL
            await asyncio.gather(
                reader(session, upstream, one, clock).run(["a"]),
                reader(session, upstream, two, clock).run(["a"]),
            )
            for db in (one, two):
                assert await JobStore(db).by_account(None, TODAY, TODAY) == {
                    "a": AccountJobs(4, 4, 160_000, 4)
                }, backend
        finally:
            await one.close()
            await two.close()


async def test_a_failed_read_is_retried_next_run_and_stops_no_other(
    session, upstream, database: Database
) -> None:
    upstream.add_job("a", TODAY)
    upstream.add_job("b", TODAY)
    upstream.fail_stats(Fault("html", status=404, times=1))  # the first read: not retried
    clock = clock_at(datetime(2026, 12, 1, 10, tzinfo=UTC))
    stats = reader(session, upstream, database, clock)
    run = await stats.run(["a", "b"])
    assert len(run.failed) == 1 and run.reads == 2 * WINDOW
    assert run.error is not None
    again = await stats.run(["a", "b"])
    assert again.ok and again.reads == 1, "only the failed day is read again"
    store = JobStore(database)
    assert set(await store.by_account(None, TODAY, TODAY)) == {"a", "b"}


async def test_a_read_answering_bad_bodies_keeps_what_was_read(
    session, upstream, database: Database
) -> None:
    upstream.add_job("a", TODAY, count=2)
    clock = clock_at(datetime(2026, 12, 1, 10, tzinfo=UTC))
    stats = reader(session, upstream, database, clock)
    await stats.run(["a"])
    for fault in (
        Fault("badjson"),
        Fault("status", status=500),
        Fault("huge", size=40 << 20),
        Fault("status", status=200, body=["not", "an", "object"]),
    ):
        upstream.fail_stats(fault)
        clock.now += INTERVAL
        assert not (await stats.run(["a"])).ok
        upstream.clear()
        assert (await JobStore(database).by_account(None, TODAY, TODAY))["a"].jobs == 2


async def test_three_failed_runs_are_said_once_and_the_recovery_once(
    session, upstream, database: Database
) -> None:
    upstream.add_job("a", TODAY)
    upstream.fail_stats(Fault("status", status=500))
    clock = clock_at(datetime(2026, 12, 1, 10, tzinfo=UTC))
    alerts = AlertStore(database)
    client = make(session, upstream)
    stats = StatsReader(
        client, JobStore(database), window_days=2, interval=INTERVAL, store=alerts, clock=clock
    )
    kinds = []
    for _ in range(5):
        run = await stats.run(["a"])
        assert not run.ok
        kinds.append([n.kind for n in await alerts.pending()])
        clock.now += INTERVAL
    assert kinds == [[], [], *[[NoticeKind.STATS_UNREADABLE]] * 3]
    [notice] = await alerts.pending()
    assert notice.account == USEAPI_SUBJECT
    assert isinstance(notice.payload, StatsUnreadable)
    assert (notice.payload.failed, notice.payload.reads) == (2, 2)
    assert notice.payload.title == "useapi.net is unavailable right now"
    upstream.clear()
    for _ in range(3):
        assert (await stats.run(["a"])).ok
        clock.now += INTERVAL
    assert [n.kind for n in await alerts.pending()] == [
        NoticeKind.STATS_UNREADABLE,
        NoticeKind.STATS_READABLE,
    ]
    assert (await JobStore(database).by_account(None, TODAY, TODAY))["a"].jobs == 1


async def test_a_streak_broken_before_three_says_nothing_and_no_channel_says_nothing(
    session, upstream, database: Database
) -> None:
    clock = clock_at(datetime(2026, 12, 1, 10, tzinfo=UTC))
    alerts = AlertStore(database)

    async def nowhere() -> RuleBook:
        return RuleBook(Rule(), {})

    stats = StatsReader(
        make(session, upstream),
        JobStore(database),
        window_days=1,
        interval=INTERVAL,
        store=alerts,
        rules=nowhere,
        clock=clock,
    )
    for faults in (2, 0, 4):
        for _ in range(faults):
            upstream.fail_stats(Fault("badjson", times=1))
            await stats.run(["a"])
            clock.now += INTERVAL
        assert (await stats.run(["a"])).ok
        clock.now += INTERVAL
    assert await alerts.pending() == [], "two in a row is no notice; no channel, no notice"


def test_the_statistics_notices_render_and_read_back() -> None:
    now = datetime(2026, 12, 1, 10, tzinfo=UTC)
    down = Notice("n1", USEAPI_SUBJECT, StatsUnreadable("useapi.net failed", "Wait.", 3, 7), now)
    embed = notice_embed(down)
    assert embed.title == "Can't read job statistics"
    assert "(3 of 7 reads in the last run failed)" in (embed.description or "")
    assert "expiry alerts are not affected" in (embed.description or "")
    up = Notice("n2", USEAPI_SUBJECT, StatsReadable(), now)
    assert notice_embed(up).title == "Job statistics readable again"
    for notice in (down, up):
        assert load_payload(str(notice.kind), notice.payload_json()) == notice.payload
    assert load_payload("stats_unreadable", "{}") == StatsUnreadable(
        "the statistics could not be read", ""
    )
