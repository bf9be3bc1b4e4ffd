"""Delivery of the outbox to the alert channel: what to post, what is posted already, and what
to do with each kind of refusal. Each notice is composed into a message first, then handed to
the channel, a small protocol that core/ implements for Discord.

A channel-wide refusal (missing permission, unknown channel) stops the flush and keeps
everything; a transient one (5xx, timeout, rate limit) leaves the notice for the next flush;
a refusal of this one message (AutoMod, invalid form body) is retried a few times, then the
notice is set aside as failed and a short notice of ours takes its place. The others keep
flowing in every case.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from .notices import Digest, ExpiringSoon, Notice, Replacement, make_nonce
from .store import AlertStore

log = logging.getLogger(__name__)

MAX_REFUSALS = 3
TRANSIENT_PER_FLUSH = 2  # after this many transient failures in one flush, wait for the next

Message = TypeVar("Message")
Message_contra = TypeVar("Message_contra", contravariant=True)


class Scope(StrEnum):
    CHANNEL = "channel"
    MESSAGE = "message"
    TRANSIENT = "transient"


class Refused(Exception):
    """Discord did not take a message; `scope` says what it is about, `reason` says why."""

    def __init__(self, scope: Scope, reason: str, *, short: str = "") -> None:
        super().__init__(reason)
        self.scope = scope
        self.reason = reason
        self.short = short or reason


class AlertChannel(Protocol[Message_contra]):
    async def posted(self) -> Mapping[str, int]:
        """Message ids of the notices already in the channel's recent history, by nonce."""
        ...

    async def post(self, message: Message_contra, nonce: str) -> int:
        """Post `message` with its notice's nonce; returns the message id or raises Refused."""
        ...


def still_true(notice: Notice, now: datetime) -> Notice | None:
    """`notice` without what has become untrue since it was queued (batches and sessions that
    have ended); None when nothing is left to say (or a digest whose period is over)."""
    if isinstance(notice.payload, Digest):
        return notice if now < notice.payload.until else None
    if not isinstance(notice.payload, ExpiringSoon):
        return notice
    items = tuple(i for i in notice.payload.items if i.ends_at > now)
    if not items:
        return None
    if items == notice.payload.items:
        return notice
    return replace(notice, payload=ExpiringSoon(items))


def replacement(notice: Notice, refusal: Refused, now: datetime) -> Notice:
    """The short notice of ours posted where Discord refused `notice` for good."""
    payload = Replacement(notice.nonce, refusal.short, notice.kind)
    return Notice(make_nonce("refused", notice.nonce), notice.account, payload, now)


class Delivery(Generic[Message]):
    """`compose` makes the message of a notice, ready to post, as it is about to go out."""

    def __init__(
        self,
        store: AlertStore,
        channel: AlertChannel[Message],
        compose: Callable[[Notice], Awaitable[Message]],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_sent: Callable[[Notice], None] = lambda notice: None,
    ) -> None:
        self.store = store
        self.channel = channel
        self.compose = compose
        self.clock = clock
        self.on_sent = on_sent
        self.channel_error: str | None = None
        self._lock = asyncio.Lock()  # a tick and /alerts check must not send one notice twice

    async def flush(self) -> int:
        """Send every pending notice that is still true; returns how many were posted."""
        async with self._lock:
            return await self._flush()

    async def _flush(self) -> int:
        pending = await self.store.pending()
        if not pending:
            return 0
        sent = transient = 0
        posted: Mapping[str, int] | None = None
        for queued in pending:
            now = self.clock()
            notice = still_true(queued, now)
            if notice is None:
                log.info(
                    "alert %s is no longer true (it has expired): not posting it", queued.nonce
                )
                await self.store.set_aside(
                    queued.nonce, "dropped", "expired before it was posted", now
                )
                continue
            try:
                if posted is None:
                    posted = await self.channel.posted()
                message_id = posted.get(notice.nonce)
                if message_id is not None:
                    log.info("alert %s was already posted; not posting it again", notice.nonce)
                else:
                    await self.store.mark_attempt(notice.nonce)
                    message = await self.compose(notice)
                    message_id = await self.channel.post(message, notice.nonce)
            except Refused as exc:
                await self.store.mark_failed(notice.nonce, exc.reason)
                if exc.scope is Scope.CHANNEL:
                    self._channel_failed(exc.reason)
                    break
                if exc.scope is Scope.TRANSIENT:
                    log.warning("alert %s not posted this time: %s", notice.nonce, exc.reason)
                    transient += 1
                    if transient >= TRANSIENT_PER_FLUSH:
                        break
                    continue
                await self._refused(notice, exc)
                continue
            await self.store.mark_sent(notice.nonce, message_id, self.clock())
            self.on_sent(notice)
            sent += 1
            if self.channel_error:
                log.info("the alert channel works again")
                self.channel_error = None
        return sent

    def _channel_failed(self, reason: str) -> None:
        if reason != self.channel_error:
            log.error("cannot post alerts: %s", reason)
            self.channel_error = reason

    async def _refused(self, notice: Notice, refusal: Refused) -> None:
        refusals = await self.store.mark_refused(notice.nonce, refusal.reason)
        if refusals < MAX_REFUSALS:
            log.warning(
                "Discord refused alert %s (%d of %d tries): %s",
                notice.nonce,
                refusals,
                MAX_REFUSALS,
                refusal.reason,
            )
            return
        ours = isinstance(notice.payload, Replacement)
        instead = None if ours else replacement(notice, refusal, self.clock())
        log.error(
            "Discord refused alert %s %d times (%s): set aside%s; /alerts status lists it",
            notice.nonce,
            refusals,
            refusal.reason,
            ", a short notice goes in its place" if instead else "",
        )
        await self.store.set_aside(notice.nonce, "failed", refusal.reason, self.clock(), instead)
