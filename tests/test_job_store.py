"""The job statistics store on SQLite and PostgreSQL: a day replaced whole, never doubled
(re-read, two replicas at once, a restart), and the reads later features use."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType

import pytest

from minimax_api import DayFigures, Outcome
from state import Database, open_database
from testbed.databases import BACKENDS
from tests.support.databases import database_target
from usage.domain.jobs import AccountJobs, JobStore

DAY = date(2026, 12, 1)
AT = datetime(2026, 12, 1, 18, tzinfo=UTC)


def figures(ok: int = 3, failed: int = 1, models: dict[str, int] | None = None) -> DayFigures:
    return DayFigures(
        (Outcome("videos-create", 200, ok, ok * 1000, ok), Outcome("videos-create", 596, failed)),
        MappingProxyType(models if models is not None else {"hailuo-02": ok + failed}),
    )


async def test_a_day_read_again_is_replaced_not_added(database: Database) -> None:
    jobs = JobStore(database)
    await jobs.replace_day("a", DAY, figures(3, 1), read_at=AT)
    await jobs.replace_day("a", DAY, figures(5, 0, {"hailuo-02": 4, "new": 1}), read_at=AT)
    week = (DAY - timedelta(days=6), DAY)
    assert await jobs.by_model(["a"], *week) == {"hailuo-02": 4, "new": 1}
    assert await jobs.outcomes(["a"], *week) == {200: 5, 596: 0}
    assert await jobs.by_account(None, *week) == {"a": AccountJobs(5, 5, 5000, 5)}


async def test_a_day_read_empty_has_no_jobs_any_more(database: Database) -> None:
    jobs = JobStore(database)
    await jobs.replace_day("a", DAY, figures(), read_at=AT)
    await jobs.replace_day("a", DAY, DayFigures(), read_at=AT, final=True)
    assert await jobs.by_account(["a"], DAY, DAY) == {}
    [read] = await jobs.days_read(["a"], DAY)
    assert read.final and read.read_at == AT


async def test_reads_by_window_account_and_day(database: Database) -> None:
    jobs = JobStore(database)
    for back in range(10):
        day = DAY - timedelta(days=back)
        await jobs.replace_day("a", day, figures(1, 0, {"m1": 1}), read_at=AT)
        await jobs.replace_day("b", day, figures(2, 2, {"m1": 1, "m2": 3}), read_at=AT)
    since = DAY - timedelta(days=2)
    assert await jobs.by_model(None, since, DAY) == {"m2": 9, "m1": 6}
    assert await jobs.by_model(["a"], since, DAY) == {"m1": 3}
    assert await jobs.by_model([], since, DAY) == {}
    assert await jobs.by_account(["a", "b"], since, DAY) == {
        "a": AccountJobs(3, 3, 3000, 3),
        "b": AccountJobs(12, 6, 6000, 6),
    }
    assert (await jobs.by_account(["b"], since, DAY))["b"].success_rate == 50.0
    assert await jobs.by_day(["b"], DAY - timedelta(days=1), DAY) == {
        DAY - timedelta(days=1): {"m1": 1, "m2": 3},
        DAY: {"m1": 1, "m2": 3},
    }
    assert await jobs.outcomes(None, DAY, DAY) == {200: 3, 596: 2}
    await jobs.forget_before(since)
    assert len(await jobs.days_read(None, date.min)) == 6
    assert await jobs.by_model(None, date.min, DAY) == {"m2": 9, "m1": 6}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_two_replicas_replacing_one_day_at_once_never_double_it(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    target = database_target(backend, request, tmp_path)
    one, two = await open_database(target), await open_database(target)
    try:
        stores = [JobStore(one), JobStore(two)]
        for _ in range(5):
            await asyncio.gather(
                *(s.replace_day(acc, DAY, figures(), read_at=AT) for s in stores for acc in "ab")
            )
        for store in stores:
            assert await store.by_account(None, DAY, DAY) == {
                "a": AccountJobs(4, 3, 3000, 3),
                "b": AccountJobs(4, 3, 3000, 3),
            }
            assert await store.by_model(None, DAY, DAY) == {"hailuo-02": 8}
    finally:
        await one.close()
        await two.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_what_was_read_survives_a_restart(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    target = database_target(backend, request, tmp_path)
    db = await open_database(target)
    await JobStore(db).replace_day("a", DAY, figures(), read_at=AT, final=True)
    await db.close()
    db = await open_database(target)
    try:
        store = JobStore(db)
        assert [(r.account, r.day, r.final) for r in await store.days_read(["a"], DAY)] == [
            ("a", DAY, True)
        ]
        await store.replace_day("a", DAY, figures(), read_at=AT, final=True)
        assert await store.by_account(None, DAY, DAY) == {"a": AccountJobs(4, 3, 3000, 3)}
    finally:
        await db.close()
