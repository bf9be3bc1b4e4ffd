from __future__ import annotations

import asyncio
import socket
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from minimax_api import (
    AccountNotFound,
    AccountOnHold,
    BadRequest,
    OutOfCredits,
    RateLimited,
    RetryPolicy,
    SubscriptionExpired,
    TokenRefused,
    Unreachable,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from minimax_api.client import MAX_BODY
from minimax_api.errors import MAX_RETRY_AFTER
from minimax_api.problems import describe
from testbed.upstream import Fault, MiB, gzip_zeros, sample_features
from tests.support.clients import FAST, make


async def test_features_are_fetched_with_the_bearer_token(session, upstream) -> None:
    upstream.add_account("acc1", sample_features(total=77))
    features = await make(session, upstream).features("acc1")
    assert features.total_credits == 77
    [seen] = upstream.requests
    assert seen.path == "/v1/minimax/features/"
    assert seen.query == {"account": "acc1"}
    assert seen.authorization == f"Bearer {upstream.token}"


@pytest.mark.parametrize("account", ["a&b=c", "../x", "x" * 500, "ünï cødé ✓", "a#b?c=d", "%41"])
async def test_account_is_encoded_and_cannot_change_the_request(session, upstream, account) -> None:
    upstream.add_account(account, sample_features(total=5))
    features = await make(session, upstream).features(account)
    assert features.total_credits == 5
    [seen] = upstream.requests
    assert seen.path == "/v1/minimax/features/"
    assert seen.query == {"account": account}


async def test_without_account_the_query_has_no_account(session, upstream) -> None:
    upstream.add_account("only")
    await make(session, upstream).features(None)
    assert upstream.requests[0].raw_query == ""


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequest),
        (401, TokenRefused),
        (402, SubscriptionExpired),
        (404, AccountNotFound),
        (412, OutOfCredits),
        (596, AccountOnHold),
        (500, UpstreamUnavailable),
        (403, UpstreamUnavailable),
    ],
)
async def test_each_status_has_its_own_error(session, upstream, status, error) -> None:
    upstream.add_account("a")
    upstream.fail(
        "a", Fault("status", status=status, body={"error": f"said {status}", "code": status})
    )
    with pytest.raises(error) as info:
        await make(session, upstream).features("a")
    assert type(info.value) is error
    assert len(upstream.requests) == 1, "errors that need a person are not retried"
    if status == 400:
        assert info.value.detail == "said 400"


async def test_wrong_token_is_refused(session, upstream) -> None:
    upstream.add_account("a")
    with pytest.raises(TokenRefused):
        await make(session, upstream, token="wrong").features("a")


async def test_unknown_account_is_404(session, upstream) -> None:
    upstream.add_account("a")
    with pytest.raises(AccountNotFound):
        await make(session, upstream).features("b")


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_transient_failures_are_retried_then_succeed(session, upstream, status) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("status", status=status, times=2))
    assert (await make(session, upstream).features("a")).total_credits == 100
    assert len(upstream.feature_calls("a")) == 3


async def test_retries_are_bounded(session, upstream) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("status", status=503))
    with pytest.raises(UpstreamUnavailable):
        await make(session, upstream).features("a")
    assert len(upstream.feature_calls("a")) == FAST.attempts


async def test_retry_after_is_honoured(session, upstream) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("status", status=429, headers={"Retry-After": "0.3"}, times=1))
    await make(session, upstream).features("a")
    first, second = upstream.feature_calls("a")
    assert second.at - first.at >= 0.3


async def test_retry_after_beyond_the_deadline_gives_up_at_once(session, upstream) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("status", status=429, headers={"Retry-After": "120"}))
    with pytest.raises(RateLimited) as info:
        await make(session, upstream).features("a")
    assert info.value.retry_after == 120
    assert len(upstream.feature_calls("a")) == 1


async def test_html_error_page_is_unavailable(session, upstream) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("html", status=502))
    with pytest.raises(UpstreamUnavailable) as info:
        await make(session, upstream).features("a")
    assert "<html" not in str(info.value)


async def test_html_with_200_is_unavailable(session, upstream) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("html", status=200))
    with pytest.raises(UpstreamUnavailable):
        await make(session, upstream).features("a")


async def test_malformed_json_is_unavailable(session, upstream) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("badjson"))
    with pytest.raises(UpstreamUnavailable):
        await make(session, upstream).features("a")


async def test_dropped_connection_is_retried(session, upstream) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("drop", times=1))
    assert (await make(session, upstream).features("a")).total_credits == 100
    assert len(upstream.feature_calls("a")) == 2


async def test_dropped_connection_every_time_is_unavailable(session, upstream) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("drop"))
    with pytest.raises(UpstreamUnavailable):
        await make(session, upstream).features("a")


async def test_no_connection_at_all_is_unreachable_not_useapi_down(session, upstream) -> None:
    """A refused connection is the bot's side (its network), and is said so; a dropped one
    is useapi.net's (above)."""
    with socket.socket() as taken:  # bound, never listening: connecting is refused
        taken.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{taken.getsockname()[1]}/v1"
        with pytest.raises(Unreachable) as raised:
            await make(session, upstream, base_url=base).features("a")
    problem = describe(raised.value, "a")
    assert problem.title == "The bot cannot reach useapi.net"
    assert "network" in problem.advice


async def test_slow_upstream_times_out(session, upstream) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("slow", delay=2.0))
    with pytest.raises(UpstreamTimeout):
        await make(session, upstream, timeout=0.2).features("a")


async def test_cache_serves_bursts_from_one_call(session, upstream) -> None:
    upstream.add_account("a")
    client = make(session, upstream)
    await client.features("a")
    await client.features("a")
    assert len(upstream.feature_calls("a")) == 1
    await client.features("a", fresh=True)
    assert len(upstream.feature_calls("a")) == 2


async def test_cache_expires(session, upstream) -> None:
    upstream.add_account("a")
    now = [0.0]
    client = make(session, upstream, cache_ttl=30, clock=lambda: now[0])
    await client.features("a")
    now[0] = 29
    await client.features("a")
    now[0] = 31
    await client.features("a")
    assert len(upstream.feature_calls("a")) == 2


async def test_concurrent_requests_share_one_call(session, upstream) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("slow", delay=0.2, times=1))
    client = make(session, upstream)
    results = await asyncio.gather(*(client.features("a") for _ in range(10)))
    assert len({id(r) for r in results}) == 1
    assert len(upstream.feature_calls("a")) == 1


async def test_failures_are_not_cached(session, upstream) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("status", status=412, times=1))
    client = make(session, upstream)
    with pytest.raises(OutOfCredits):
        await client.features("a")
    assert (await client.features("a")).total_credits == 100


async def test_accounts_listing(session, upstream) -> None:
    upstream.add_account("111")
    upstream.add_account("222")
    client = make(session, upstream)
    accounts = await client.accounts()
    assert [a.account for a in accounts] == ["111", "222"]
    assert await client.accounts() == accounts
    assert [r.path for r in upstream.requests] == ["/v1/minimax/accounts"], "served from the cache"


async def test_error_text_never_contains_the_token(session, upstream) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("status", status=400, body={"error": f"bad {upstream.token}"}))
    with pytest.raises(BadRequest) as info:
        await make(session, upstream).features("a")
    assert info.value.detail.startswith("bad ")
    assert upstream.token not in info.value.detail
    assert upstream.token not in str(info.value)


async def test_json_nested_too_deep_is_unavailable(session, upstream) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("deepjson", size=100_000))
    with pytest.raises(UpstreamUnavailable) as info:
        await make(session, upstream).features("a")
    assert "not usable JSON" in str(info.value)
    assert len(upstream.feature_calls("a")) == 1, "a broken 200 is not retried"


async def test_listing_nested_too_deep_is_unavailable(session, upstream) -> None:
    upstream.listing_faults.append(Fault("deepjson", size=100_000))
    with pytest.raises(UpstreamUnavailable):
        await make(session, upstream).accounts()


@pytest.mark.parametrize("raw", ["inf", "Infinity", "1e400", "999999999999"])
async def test_absurd_retry_after_is_clamped_and_not_waited_for(session, upstream, raw) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("status", status=429, headers={"Retry-After": raw}))
    with pytest.raises(RateLimited) as info:
        await make(session, upstream).features("a")
    assert info.value.retry_after == MAX_RETRY_AFTER
    assert len(upstream.feature_calls("a")) == 1, "beyond the deadline: given up without waiting"
    assert "hour" in describe(info.value).advice


@pytest.mark.parametrize(("ahead", "low", "high"), [(120, 115, 120), (86400, 3600, 3600)])
async def test_retry_after_as_an_http_date_is_honoured(session, upstream, ahead, low, high) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=ahead), usegmt=True)
    upstream.add_account("a")
    upstream.fail("a", Fault("status", status=429, headers={"Retry-After": when}))
    with pytest.raises(RateLimited) as info:
        await make(session, upstream).features("a")
    assert info.value.retry_after is not None
    assert low <= info.value.retry_after <= high
    assert len(upstream.feature_calls("a")) == 1, "beyond the deadline: given up without waiting"


async def test_retry_after_as_a_past_http_date_retries_at_once(session, upstream) -> None:
    when = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    upstream.add_account("a")
    upstream.fail("a", Fault("status", status=429, headers={"Retry-After": when}))
    slow = RetryPolicy(attempts=2, base_delay=30.0, max_delay=30.0, deadline=60.0)
    started = time.monotonic()
    with pytest.raises(RateLimited) as info:
        await make(session, upstream, retry=slow).features("a")
    assert info.value.retry_after == 0
    assert time.monotonic() - started < 5, "the date said now: no backoff of 15-30 s"
    assert len(upstream.feature_calls("a")) == 2


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_gzip_bomb_is_refused_in_bounded_memory(session, upstream, chunked) -> None:
    gzip_zeros(300 * MiB)  # built (and cached) before measuring
    upstream.add_account("a")
    upstream.fail("a", Fault("bomb", size=300 * MiB, chunked=chunked))
    client = make(session, upstream)
    tracemalloc.start()
    try:
        with pytest.raises(UpstreamUnavailable) as info:
            await client.features("a")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * MiB, f"peak {peak / MiB:.0f} MiB while refusing a 300 MiB body"
    assert "MiB" in str(info.value)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_over_the_cap_is_refused_one_at_the_cap_is_read(
    session, upstream, chunked
) -> None:
    upstream.add_account("a")
    client = make(session, upstream)
    upstream.fail("a", Fault("huge", size=MAX_BODY + 1, chunked=chunked, times=1))
    with pytest.raises(UpstreamUnavailable):
        await client.features("a")
    assert len(upstream.feature_calls("a")) == 1, "a 200 that is too big is not retried"
    upstream.fail("a", Fault("huge", size=MAX_BODY, chunked=chunked, times=1))
    assert (await client.features("a")).total_credits is None
    assert (await client.features("a", fresh=True)).total_credits == 100


async def test_a_declared_length_over_the_cap_fails_without_reading(session, upstream) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("lying", size=1 << 30, delay=10.0))
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable):
        await make(session, upstream, timeout=3.0).features("a")
    assert time.monotonic() - started < 2, "refused on the header, not after the timeout"


async def test_a_request_signals_when_it_no_longer_needs_the_loop(session, upstream) -> None:
    """The signal a deferring command waits for: sent as the request goes out, as a second
    caller joins it, and as a request waits for the rate limiter; nothing without a hook."""
    from minimax_api import RateLimiter
    from minimax_api.handover import on_handover

    upstream.add_account("acc1")
    upstream.fail("acc1", Fault("slow", delay=0.3))
    client = make(session, upstream)
    first, second = asyncio.Event(), asyncio.Event()
    with on_handover(first.set):
        one = asyncio.ensure_future(client.features("acc1"))
    await asyncio.wait_for(first.wait(), 5)
    assert not one.done(), "signalled while the request is under way"
    with on_handover(second.set):
        joined = asyncio.ensure_future(client.features("acc1"))
    await asyncio.wait_for(second.wait(), 5)
    assert not joined.done()
    assert (await one) == (await joined)
    assert len(upstream.requests) == 1, "the second joined the first"

    limited = make(session, upstream, limiter=RateLimiter(rate=0.5, burst=1))
    upstream.clear()
    await limited.features("acc1")  # takes the only token
    waiting = asyncio.Event()
    with on_handover(waiting.set):
        queued = asyncio.ensure_future(limited.features("acc1", fresh=True))
    await asyncio.wait_for(waiting.wait(), 5)
    assert not queued.done(), "it waits for a token"
    queued.cancel()
