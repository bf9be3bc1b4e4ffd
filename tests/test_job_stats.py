"""Job statistics: the parser on every shape of body, and the client against the loopback
useapi.net (its `/v2/account/stats` as documented, and misbehaving)."""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, date, datetime, timedelta

import pytest

from minimax_api import (
    AccountOnHold,
    BadRequest,
    Priority,
    RateLimiter,
    TokenRefused,
    UpstreamTimeout,
    UpstreamUnavailable,
    load_stats,
    parse_stats,
)
from minimax_api.client import STATS_MAX_BODY
from minimax_api.stats import UNKNOWN_MODEL, Outcome
from testbed.upstream import Fault, Job, stats_payload
from tests.support.clients import make

DAY = date(2026, 12, 1)
NOON = datetime(2026, 12, 1, 12, tzinfo=UTC)

DOCUMENTED = {
    "bot": "minimax",
    "date": "2026-12-01",
    "total": 3,
    "summary": {
        "from": "2026-12-01T08:00:00.000Z",
        "to": "2026-12-01T17:30:00.000Z",
        "time_span": "9 hours 30 minutes",
        "by_config": {"123456": 3},
        "by_code": {"200": 2, "596": 1},
        "by_endpoint": {"videos-create": 3},
        "by_status": {"OK": 2, "Failed": 1},
        "by_model": {"hailuo-02": 3},
        "success_rate": "66.7%",
        "avg_msec": 41000,
    },
    "data": [
        {
            "timestamp": "2026-12-01T08:00:00.000Z",
            "jobid": "j-1",
            "config": "123456",
            "endpoint": "videos-create",
            "status": "OK",
            "func": "v1-minimax-videos-create",
            "code": 200,
            "msec": 40000,
        },
        {"jobid": "j-2", "config": "123456", "endpoint": "videos-create", "code": 200},
        {"jobid": "j-3", "config": "123456", "endpoint": "videos-create", "code": 596, "msec": 2},
    ],
}


@pytest.mark.parametrize("read", [parse_stats, lambda p: load_stats(json.dumps(p))])
def test_the_documented_example_reads_into_both_facets(read) -> None:
    stats = read(DOCUMENTED)
    assert stats.day == DAY and stats.total == 3 and stats.rows == 3
    assert stats.summary is not None
    assert stats.summary.success_rate == 66.7
    assert stats.summary.by_code == {"200": 2, "596": 1}
    assert stats.summary.start == datetime(2026, 12, 1, 8, tzinfo=UTC)
    figures = stats.figures("123456")
    assert figures.outcomes == (
        Outcome("videos-create", 200, 2, 40000, 1),
        Outcome("videos-create", 596, 1, 2, 1),
    )
    assert dict(figures.models) == {"hailuo-02": 3}
    assert (figures.jobs, figures.succeeded) == (3, 2)


def test_an_account_not_in_the_statistics_has_no_jobs() -> None:
    figures = load_stats(json.dumps(DOCUMENTED)).figures("someone-else")
    assert figures.jobs == 0 and not figures.outcomes and not figures.models
    empty = load_stats('{"bot": "minimax", "date": "2026-12-01", "total": 0, "data": []}')
    assert empty.summary is None and empty.figures("a").jobs == 0


def test_rows_without_fields_or_with_unknown_values_are_kept_or_skipped_never_fatal() -> None:
    body = {
        "summary": {"by_model": {"brand-new-model": 2, "hailuo-02": "x"}, "success_rate": 7},
        "data": [
            {"config": "a", "code": "599", "endpoint": "music-create", "msec": "12.5"},
            {"config": "a", "code": 200, "msec": -5},  # no endpoint; a time that is none
            {"config": "a", "status": "OK"},  # no code: not counted
            {"config": "a", "code": None, "jobid": "x"},
            {},
            "not a row",
            42,
            None,
            {"config": {"nested": True}, "code": True, "jobid": ["x"]},
            {"config": "a", "code": 10**20},  # no HTTP status: not counted
            {"config": "a", "code": 200, "msec": 1e300},  # counted, untimed
        ],
    }
    for stats in (parse_stats(body), load_stats(json.dumps(body))):
        figures = stats.figures("a")
        assert figures.outcomes == (
            Outcome("", 200, 2, 0, 0),
            Outcome("music-create", 599, 1, 12, 1),
        )
        assert stats.rows == 11
        assert stats.uncounted == 7  # the None is a row of the body: not an object
        assert dict(figures.models) == {"brand-new-model": 2, UNKNOWN_MODEL: 1}
        assert stats.summary is not None and stats.summary.success_rate == 7.0


def test_without_a_summary_the_jobs_are_of_an_unknown_model() -> None:
    body = {"data": [{"config": "a", "code": 200}, {"config": "a", "code": 500}]}
    assert dict(load_stats(json.dumps(body)).figures("a").models) == {UNKNOWN_MODEL: 2}


def test_models_in_rows_count_where_the_summary_has_none() -> None:
    body = {"data": [{"config": "a", "code": 200, "model": "m1"}, {"config": "a", "code": 500}]}
    assert dict(load_stats(json.dumps(body)).figures("a").models) == {"m1": 1, UNKNOWN_MODEL: 1}


@pytest.mark.parametrize(
    "text", ["", "[1, 2]", '"text"', "null", '{"data": [', "<html>502</html>", "[" * 100_000]
)
def test_a_body_that_does_not_parse_is_an_error(text) -> None:
    with pytest.raises(ValueError):
        load_stats(text)


@pytest.mark.parametrize("payload", [None, [], "x", 3, {"data": "rows"}, {"summary": [1]}])
def test_a_decoded_payload_of_any_shape_reads_as_far_as_it_goes(payload) -> None:
    stats = parse_stats(payload)
    assert stats.figures("a").jobs == 0


def test_the_loopback_summary_is_computed_as_documented() -> None:
    jobs = [
        Job("a", NOON, "m1", code=200, msec=10),
        Job("a", NOON + timedelta(hours=1), "m2", code=596, msec=30),
        Job("b", NOON, None, code=None, msec=None),
    ]
    payload = stats_payload(jobs, DAY)
    summary = payload["summary"]
    assert summary["by_config"] == {"a": 2, "b": 1}
    assert summary["by_code"] == {"200": 1, "596": 1}
    assert summary["by_model"] == {"m1": 1, "m2": 1}
    assert summary["by_status"] == {"OK": 1, "Failed": 2}
    assert summary["success_rate"] == "50.0%" and summary["avg_msec"] == 20
    assert summary["time_span"] == "1 hours 0 minutes"
    assert all("model" not in row for row in payload["data"])
    assert "summary" not in stats_payload([], DAY)


async def test_the_client_reads_a_day_of_one_account(session, upstream) -> None:
    upstream.add_job("a", DAY, "hailuo-02", code=200, msec=1000, count=3)
    upstream.add_job("a", DAY, "unknown-9", code=596, msec=5)
    upstream.add_job("b", DAY, "hailuo-02", code=200)
    upstream.add_job("a", DAY - timedelta(days=1), "hailuo-02", code=200)
    stats = await make(session, upstream).stats(DAY, config="a")
    [seen] = upstream.stats_calls("a")
    assert seen.query == {"bot": "minimax", "date": "2026-12-01", "config": "a"}
    assert seen.authorization == f"Bearer {upstream.token}"
    figures = stats.figures("a")
    assert (figures.jobs, figures.succeeded) == (4, 3)
    assert dict(figures.models) == {"hailuo-02": 3, "unknown-9": 1}
    assert stats.figures("b").jobs == 0


async def test_limit_reads_the_last_jobs_over_every_day(session, upstream) -> None:
    for back in range(5):
        upstream.add_job("a", DAY - timedelta(days=back), code=200 if back else 412)
    stats = await make(session, upstream).stats(DAY, limit=2, config="a")
    assert upstream.stats_calls()[0].query == {"bot": "minimax", "limit": "2", "config": "a"}
    assert {o.code: o.jobs for o in stats.figures("a").outcomes} == {200: 1, 412: 1}
    with pytest.raises(ValueError, match="limit"):
        await make(session, upstream).stats(limit=50_001)


async def test_without_a_day_useapi_net_answers_today(session, upstream) -> None:
    upstream.add_job("a")
    stats = await make(session, upstream).stats(config="a")
    assert upstream.stats_calls()[0].query == {"bot": "minimax", "config": "a"}
    assert stats.figures("a").jobs == 1


async def test_statistics_go_through_the_rate_limiter_at_background_priority(
    session, upstream
) -> None:
    seen: list[Priority] = []

    class Spy(RateLimiter):
        async def acquire(self, priority=Priority.INTERACTIVE, **kw) -> None:
            seen.append(priority)
            await super().acquire(priority, **kw)

    client = make(session, upstream, limiter=Spy(1000, burst=10))
    await client.stats(DAY)
    await client.stats(DAY, priority=Priority.INTERACTIVE)
    assert seen == [Priority.BACKGROUND, Priority.INTERACTIVE]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault("status", status=401), TokenRefused),
        (Fault("status", status=400), BadRequest),
        (Fault("status", status=596), AccountOnHold),
        (Fault("status", status=500), UpstreamUnavailable),
        (Fault("html", status=502), UpstreamUnavailable),
        (Fault("badjson"), UpstreamUnavailable),
        (Fault("status", status=200, body=[1, 2, 3]), UpstreamUnavailable),
        (Fault("status", status=200, body={"error": "oops", "code": 500}), UpstreamUnavailable),
        (Fault("deepjson", size=100_000), UpstreamUnavailable),
        (Fault("huge", size=STATS_MAX_BODY + 1, chunked=True), UpstreamUnavailable),
        (Fault("huge", size=STATS_MAX_BODY + 1), UpstreamUnavailable),
        (Fault("bomb", size=64 << 20), UpstreamUnavailable),
        (Fault("slow", delay=2.0), UpstreamTimeout),
    ],
)
async def test_bad_answers_are_errors_of_the_usual_kinds(session, upstream, fault, error) -> None:
    upstream.fail_stats(fault)
    with pytest.raises(error):
        await make(session, upstream, timeout=0.5).stats(DAY, config="a")
    assert upstream.feature_calls("a") == [], "only the statistics misbehave"


async def test_a_transient_failure_is_retried(session, upstream) -> None:
    upstream.add_job("a", DAY)
    upstream.fail_stats(Fault("status", status=502, times=1))
    stats = await make(session, upstream).stats(DAY, config="a")
    assert stats.figures("a").jobs == 1 and len(upstream.stats_calls()) == 2


async def test_a_day_of_fifty_thousand_rows_is_read(session, upstream) -> None:
    for code, count in ((200, 45_000), (596, 3_000), (412, 2_000)):
        upstream.add_job("a", DAY, "hailuo-02", code=code, msec=30_000, count=count)
    stats = await make(session, upstream, timeout=60).stats(DAY, config="a")
    figures = stats.figures("a")
    assert (figures.jobs, figures.succeeded, stats.rows) == (50_000, 45_000, 50_000)
    assert dict(figures.models) == {"hailuo-02": 50_000}


def test_a_day_of_fifty_thousand_rows_parses_in_bounded_memory() -> None:
    jobs = [Job("a", NOON, code=200 if i % 10 else 596, msec=i) for i in range(50_000)]
    text = json.dumps(stats_payload(jobs, DAY))
    tracemalloc.start()
    try:
        stats = load_stats(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stats.figures("a").jobs == 50_000
    assert peak < 4 * 2**20, f"{peak / 2**20:.1f} MiB beyond the text (keeping rows: ~32 MiB)"
