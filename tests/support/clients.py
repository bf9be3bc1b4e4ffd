"""The useapi.net client as the client tests make it: on a session of the test's, against the
loopback useapi.net, retrying fast."""

from __future__ import annotations

import aiohttp

from minimax_api import MiniMaxClient, RetryPolicy
from testbed.upstream import FakeUseapi

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, deadline=5.0)


def make(session: aiohttp.ClientSession, upstream: FakeUseapi, **kw: object) -> MiniMaxClient:
    options: dict = {"token": upstream.token, "base_url": upstream.base_url, "retry": FAST}
    options.update(kw)
    return MiniMaxClient(session, **options)
