"""A token-bucket rate limiter with two priorities: people's commands go before sweeps."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from enum import IntEnum


class Priority(IntEnum):
    INTERACTIVE = 0
    BACKGROUND = 1


class RateLimiter:
    """At most `rate` acquisitions per second on average, bursts of up to `burst`.

    Waiters are served by priority, then in arrival order, so a command that arrives
    during a sweep of a thousand accounts waits for at most one token.
    """

    def __init__(
        self, rate: float, *, burst: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(1.0, burst)
        self._clock = clock
        self._tokens = self.burst
        self._stamp = clock()
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(
        self,
        priority: Priority = Priority.INTERACTIVE,
        *,
        waiting: Callable[[], None] = lambda: None,
    ) -> None:
        """Take a token, waiting in priority order for one; `waiting` is called when the
        caller has to wait."""
        self._refill()
        if not self._waiters and self._tokens >= 1:
            self._tokens -= 1
            return
        waiting()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (int(priority), next(self._seq), future))
        self._wake()
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._tokens += 1  # granted just as we were cancelled: give it back
            self._wake()
            raise

    def _wake(self) -> None:
        """Grant tokens to waiters in priority order; schedule the next grant."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._refill()
        while self._waiters:
            if self._waiters[0][2].done():
                heapq.heappop(self._waiters)
                continue
            if self._tokens < 1:
                break
            _, _, future = heapq.heappop(self._waiters)
            self._tokens -= 1
            future.set_result(None)
        if any(not f.done() for _, _, f in self._waiters):
            delay = (1 - self._tokens) / self.rate
            self._timer = asyncio.get_running_loop().call_later(delay, self._wake)
