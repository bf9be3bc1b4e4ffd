"""A broken or hostile useapi.net answer is an upstream failure, never "our bug": it is
rendered without raising, and the watcher counts it towards "Can't read account X"."""

from __future__ import annotations

import logging
import math
import re
from datetime import timedelta

import pytest

from alerts.domain.notices import NoticeKind
from minimax_api import RateLimited, parse_features
from minimax_api import parsing as p
from minimax_api.client import MAX_BODY
from minimax_api.problems import describe
from testbed.upstream import Fault, sample_features
from tests.support.watching import Clock, watcher

ADVICE = re.compile(r"Try again in (about \d{1,4} seconds?|about an hour|a minute)\.")

# Values a RateLimited may be handed, including ones the client never produces.
WAITS = [math.inf, -math.inf, math.nan, 1e300, 10**400, -5.0, 0.0, 0.4, 20, 600, 3599.9]


@pytest.mark.parametrize("wait", WAITS, ids=lambda w: repr(w)[:12])
def test_any_retry_after_renders_as_short_human_text(wait) -> None:
    problem = describe(RateLimited(retry_after=wait))
    assert ADVICE.fullmatch(problem.advice), problem.advice


@pytest.mark.parametrize("wait", WAITS, ids=lambda w: repr(w)[:12])
def test_rendering_does_not_rely_on_the_error_having_clamped(wait) -> None:
    exc = RateLimited()
    exc.retry_after = wait
    assert ADVICE.fullmatch(describe(exc).advice)


@pytest.mark.parametrize(
    ("wait", "says"),
    [
        (math.inf, "about an hour"),
        (0.4, "about 1 second"),
        (20, "about 20 seconds"),
        (600, "about 600 seconds"),
        (3599.4, "about 3599 seconds"),
        (3599.6, "about an hour"),
    ],
)
def test_waits_are_said_in_a_fitting_unit(wait, says) -> None:
    assert describe(RateLimited(retry_after=wait)).advice == f"Try again in {says}."


def _nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"x": value}
    return value


def test_a_label_too_deep_to_encode_is_dropped_not_raised() -> None:
    assert p.label(_nested(100_000)) is None
    payload = {"modelControl": [{"modelId": "23000", "durations": [_nested(100_000), 6]}]}
    [model] = parse_features(payload).models
    assert model.durations == ("6",)


@pytest.mark.parametrize(
    ("fault", "title"),
    [
        (Fault("deepjson", size=100_000), "useapi.net is unavailable right now"),
        (Fault("huge", size=MAX_BODY + 1, chunked=True), "useapi.net is unavailable right now"),
        (
            Fault("status", status=429, headers={"Retry-After": "inf"}),
            "useapi.net is rate limiting requests",
        ),
    ],
    ids=["deep-json", "too-big", "retry-after-inf"],
)
async def test_a_hostile_account_is_unreadable_after_three_checks(
    client, store, upstream, caplog, fault, title
) -> None:
    upstream.add_account("a")
    upstream.add_account("b", sample_features(batches_in_hours=[200]))
    upstream.fail("a", fault)
    clock = Clock()
    w = watcher(client, store, clock, accounts=("a", "b"))
    with caplog.at_level(logging.WARNING):
        for checks in range(1, 4):
            report = await w.check()
            assert report.failed == {"a": title}, "an upstream failure, not an internal error"
            [health] = [h for h in await store.health() if h.account == "a"]
            assert health.failures == checks
            clock.now += timedelta(minutes=30)
    assert not [r for r in caplog.records if r.exc_info], "no traceback: it is not our bug"
    [notice] = await store.pending()
    assert (notice.account, notice.kind) == ("a", NoticeKind.UNREADABLE)
    assert notice.payload.title == title
