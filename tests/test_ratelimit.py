from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from minimax_api import MiniMaxClient, Priority, RateLimiter
from testbed.upstream import FakeUseapi


async def test_rate_is_kept_on_average() -> None:
    limiter = RateLimiter(50, burst=1)
    started = time.monotonic()
    for _ in range(11):
        await limiter.acquire()
    assert time.monotonic() - started >= 0.19  # ten waits of 1/50 s after the first token


async def test_a_burst_is_served_at_once_then_throttled() -> None:
    limiter = RateLimiter(5, burst=5, clock=lambda: 0.0)  # time stands still: no refill
    burst = [asyncio.ensure_future(limiter.acquire()) for _ in range(5)]
    sixth = asyncio.ensure_future(limiter.acquire())
    for _ in range(3):
        await asyncio.sleep(0)
    assert all(t.done() for t in burst), "a burst of `burst` never waits"
    assert not sixth.done(), "the next one waits for a refill"
    sixth.cancel()


async def test_interactive_waiters_go_before_background_ones() -> None:
    limiter = RateLimiter(100, burst=1)
    order: list[str] = []

    async def take(name: str, priority: Priority) -> None:
        await limiter.acquire(priority)
        order.append(name)

    background = [asyncio.create_task(take(f"b{i}", Priority.BACKGROUND)) for i in range(6)]
    await asyncio.sleep(0)  # all six are queued, b0 took the only token
    command = asyncio.create_task(take("command", Priority.INTERACTIVE))
    await asyncio.gather(command, *background)
    assert order.index("command") <= 1


async def test_a_cancelled_waiter_does_not_lose_a_token() -> None:
    limiter = RateLimiter(20, burst=1)
    await limiter.acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await asyncio.wait_for(limiter.acquire(), 1)


async def test_a_command_is_not_stuck_behind_a_sweep(upstream: FakeUseapi) -> None:
    for i in range(40):
        upstream.add_account(f"s{i}")
    upstream.add_account("mine")
    async with aiohttp.ClientSession() as session:
        client = MiniMaxClient(
            session,
            token=upstream.token,
            base_url=upstream.base_url,
            limiter=RateLimiter(100, burst=1),
        )
        sweep = [
            asyncio.create_task(client.features(f"s{i}", fresh=True, priority=Priority.BACKGROUND))
            for i in range(40)
        ]
        await asyncio.sleep(0.05)
        await client.features("mine")
        done_before = sum(t.done() for t in sweep)
        await asyncio.gather(*sweep)
    assert done_before < 20, "the command went ahead of most of the sweep"
    calls = [r.query.get("account") for r in upstream.requests]
    assert calls.index("mine") < 15


async def test_a_command_does_not_join_a_queued_sweep_request(upstream: FakeUseapi) -> None:
    for name in [*(f"s{i}" for i in range(20)), "x"]:
        upstream.add_account(name)
    async with aiohttp.ClientSession() as session:
        client = MiniMaxClient(
            session,
            token=upstream.token,
            base_url=upstream.base_url,
            limiter=RateLimiter(100, burst=1),
        )
        sweep = [
            asyncio.create_task(client.features(a, fresh=True, priority=Priority.BACKGROUND))
            for a in [*(f"s{i}" for i in range(20)), "x"]
        ]
        await asyncio.sleep(0.03)
        await client.features("x")
        await asyncio.gather(*sweep)
    calls = [r.query.get("account") for r in upstream.requests]
    assert calls.index("x") < 10, "the command asked for x itself instead of waiting for the sweep"
