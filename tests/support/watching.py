"""Driving the expiry check: a settable clock and a watcher for the in-process tests, and for
the bot process the settings that make it check about every second and a way to count checks."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts.domain.store import AlertStore
from alerts.domain.watcher import Watcher
from minimax_api import MiniMaxClient
from testbed.discord_payloads import CHANNEL_ID
from testbed.discord_stub import DiscordStub
from testbed.upstream import FakeUseapi

FAST = {"ALERT_CHANNEL_ID": str(CHANNEL_ID), "CHECK_INTERVAL_MINUTES": "0.005"}


class Clock:
    """The watcher's clock: `now` until a test moves it."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def watcher(
    client: MiniMaxClient, store: AlertStore, clock: Clock, accounts: tuple[str, ...] = ("a",)
) -> Watcher:
    return Watcher(client, store, accounts=accounts, thresholds=(72, 24, 1), clock=clock)


async def ticks(upstream: FakeUseapi, account: str, n: int) -> None:
    """Wait until the bot has checked `account` n more times."""
    start = len(upstream.feature_calls(account))
    await upstream.wait_for(lambda: len(upstream.feature_calls(account)) >= start + n)


def titles(stub: DiscordStub) -> list[str]:
    """The title of every alert posted in a channel, oldest first."""
    return [m["embeds"][0]["title"] for m in stub.posted]
