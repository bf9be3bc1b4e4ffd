"""Waiting for a loopback server to have seen something, without polling on a timer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class Changes:
    """A server calls `notify()` whenever it records something; `wait_for` re-checks its
    predicate then, and only then."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()

    async def wait_for(self, predicate: Callable[[], Any], within: float) -> Any:
        """Wait until `predicate()` is truthy and return what it returned; TimeoutError after
        `within` seconds."""
        async with asyncio.timeout(within):
            while not (result := predicate()):
                self._event.clear()
                await self._event.wait()
        return result
