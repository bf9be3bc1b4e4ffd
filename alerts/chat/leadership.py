"""Who leads the expiry checks: the process that holds the alerts lease checks the accounts
and posts the alerts; the others renew their bid and take over when the leader stops."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import discord
from discord.ext import tasks

from alerts.domain.account_rules import RuleBook
from alerts.domain.status import AlertStatus, Routes
from state import Database, Lease, StoreUnavailable

log = logging.getLogger(__name__)

LEASE_SECONDS = 20.0  # a leader that stops renewing is replaced after this long
RENEW_SECONDS = 5.0


class Leadership:
    """Hold or seek the alerts lease: exactly one process checks and posts at a time. The
    leader starts `checks` when it takes over (so what was pending goes out at once) and
    stops them when it loses the lease; on each renewal it runs `while_leading` (the digest).
    """

    def __init__(
        self,
        client: discord.Client,
        db: Database,
        identity: str,
        status: AlertStatus,
        *,
        checks: tasks.Loop[Any],
        while_leading: Callable[[datetime], Awaitable[None]],
        rules: Callable[[], Awaitable[RuleBook]],
        stats: tasks.Loop[Any] | None = None,
    ) -> None:
        """`stats`, when given, is a loop of its own (the job statistics) that runs while
        this process leads, as `checks` does."""
        self.client = client
        self.lease = Lease(db, "alerts", identity, ttl=LEASE_SECONDS)
        self.status = status
        self.checks = checks
        self.loops: tuple[tasks.Loop[Any], ...] = (checks, *([stats] if stats else []))
        self.while_leading = while_leading
        self.rules = rules
        self._lease_error: str | None = None

    @tasks.loop(seconds=RENEW_SECONDS)
    async def loop(self) -> None:
        try:
            await self._lead()
            if self.status.leading:
                await self.while_leading(datetime.now(UTC))
            else:  # the leader's checks keep its own; rules set anywhere show everywhere
                self.status.routes = Routes.of(await self.rules())
        except StoreUnavailable:
            pass  # said once by _lead; the loop tries again
        except Exception:
            log.exception("leading the expiry checks failed; trying again")

    @loop.before_loop
    async def _wait_ready_to_lead(self) -> None:
        await self.client.wait_until_ready()

    async def _lead(self) -> None:
        status = self.status
        try:
            holder = await self.lease.take()
            leading = self.lease.mine(holder)
        except StoreUnavailable as exc:
            leading, holder = False, None
            if str(exc) != self._lease_error:
                log.warning("expiry checks paused: the database is unavailable (%s)", exc)
                self._lease_error = str(exc)
        else:
            if self._lease_error:
                log.info("the database is back: expiry checks resume")
                self._lease_error = None
        status.leader = holder.name if holder else None
        if leading and not status.leading:
            log.info("this process (%s) leads the expiry checks now", self.lease.me)
            for loop in self.loops:
                if loop.is_running():
                    loop.restart()  # a cancel from a moment ago is still finishing
                else:
                    loop.start()
        elif status.leading and not leading:
            log.info("%s leads the expiry checks now", status.leader or "no process")
            for loop in self.loops:
                loop.cancel()
        status.leading = leading

    async def stop(self) -> None:
        """Stop seeking the lease and checking; a leader hands the lease over at once."""
        self.loop.cancel()
        for loop in self.loops:
            loop.cancel()
        if self.status.leading:
            with contextlib.suppress(StoreUnavailable):
                await self.lease.release()  # another replica takes over at once
