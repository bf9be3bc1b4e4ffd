"""Delivery of the outbox to the alert channel: what to post, what is posted already, and what
to do with each kind of refusal. The account alerts due at once share messages (as many as
Discord's limits need). The channel is one small port (`alerts.domain.port`): it lists what
is posted, drafts the messages of some notices (each rendered once) and posts a draft; what a
message with buttons is about is saved here, just before it is posted.

A channel-wide refusal (missing permission, unknown channel) stops the flush and keeps
everything; a transient one (5xx, timeout, rate limit) leaves the notice for the next flush;
a refusal of this one message (AutoMod, invalid form body) is retried a few times, then the
notice is set aside as failed and a short notice of ours takes its place (a shared message
that is refused is posted again one notice a message, so one bad alert never holds back the
others). The others keep flowing in every case.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Generic

from alerts.domain.account_rules import RuleBook
from alerts.domain.answers import AlertGroup, AlertGroups, Announced
from alerts.domain.conditions import condition_of
from alerts.domain.follow_ups import FollowUps, QuietUntil
from alerts.domain.notices import (
    Digest,
    Escalated,
    ExpiringSoon,
    Notice,
    Replacement,
    Reply,
    RunningOut,
    make_nonce,
)
from alerts.domain.port import (
    AlertChannel,
    Draft,
    Message,
    Refused,
    Scope,
    shared,
    units,
)
from alerts.domain.silences import Ack, Silences, batch_acknowledged
from alerts.domain.store import AlertStore
from alerts.domain.tick import Posted

log = logging.getLogger(__name__)

MAX_REFUSALS = 3
TRANSIENT_PER_FLUSH = 2  # after this many transient failures in one flush, wait for the next


def announced(notice: Notice) -> list[Announced]:
    """What an alert announced: its batches and sessions, or the account it cannot read."""
    if isinstance(notice.payload, ExpiringSoon):
        return [Announced(notice.account, str(i.kind), i.ends_at) for i in notice.payload.items]
    return [Announced(notice.account, str(notice.kind), None)]


def still_true(notice: Notice, now: datetime) -> Notice | None:
    """`notice` without what has become untrue since it was queued (batches and sessions that
    have ended); None when nothing is left to say (or a digest whose period is over)."""
    if isinstance(notice.payload, Digest):
        return notice if now < notice.payload.until else None
    if isinstance(notice.payload, RunningOut):
        return notice if now < notice.payload.at else None
    if not isinstance(notice.payload, ExpiringSoon):
        return notice
    items = tuple(i for i in notice.payload.items if i.ends_at > now)
    if not items:
        return None
    if items == notice.payload.items:
        return notice
    return replace(notice, payload=ExpiringSoon(items))


def unanswered(notice: Notice, snoozed: Collection[str], acks: Sequence[Ack]) -> Notice | None:
    """`notice` without what the team answered while it waited in the outbox: nothing for a
    snoozed account, no acknowledged batch."""
    if not shared(notice):
        return notice
    if notice.account in snoozed:
        return None
    if not isinstance(notice.payload, ExpiringSoon):
        return notice
    items = tuple(
        i
        for i in notice.payload.items
        if not batch_acknowledged(notice.account, str(i.kind), i.ends_at, acks)
    )
    if not items:
        return None
    return notice if items == notice.payload.items else replace(notice, payload=ExpiringSoon(items))


def replacement(notice: Notice, refusal: Refused, now: datetime) -> Notice:
    """The short notice of ours posted where Discord refused `notice` for good."""
    payload = Replacement(notice.nonce, refusal.short, notice.kind)
    return Notice(make_nonce("refused", notice.nonce), notice.account, payload, now)


URGENT_HOURS = 1.0
"""An expiry step this close to the end pings even in quiet hours."""


def urgent(notice: Notice) -> bool:
    """Whether `notice` pings during quiet hours: an expiry step of an hour or less."""
    payload = notice.payload
    return isinstance(payload, ExpiringSoon) and any(
        i.threshold <= URGENT_HOURS for i in payload.items
    )


NO_CHANNEL = "no alert channel for this account: set one with /alerts rules or ALERT_CHANNEL_ID"


class Delivery(Generic[Message]):
    """Posts the outbox through `channel`; `rules` reads the rules that say which channel
    each account's alerts go to and which role they ping; `silences`, when given, holds what
    the team answered; `groups` keeps what each message with buttons is about."""

    def __init__(
        self,
        store: AlertStore,
        channel: AlertChannel[Message],
        rules: Callable[[], Awaitable[RuleBook]],
        *,
        silences: Silences | None = None,
        groups: AlertGroups | None = None,
        follow_ups: FollowUps | None = None,
        quiet_until: QuietUntil | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_sent: Callable[[Notice], None] = lambda notice: None,
    ) -> None:
        """`follow_ups`, when given, keeps where each alert went (for its resolution and
        escalation) and redraws resolved messages; `quiet_until` tells whether quiet hours
        are in force (then only urgent alerts ping)."""
        self.store = store
        self.channel = channel
        self.rules = rules
        self.silences = silences
        self.groups = groups
        self.follow_ups = follow_ups
        self.quiet_until = quiet_until
        self.clock = clock
        self.on_sent = on_sent
        self.channel_errors: dict[int, str] = {}  # why each failing channel fails
        self._lock = asyncio.Lock()  # a tick and /alerts check must not send one notice twice

    async def flush(self) -> Posted:
        """Send every pending notice that is still true; returns what was posted."""
        async with self._lock:
            return await self._flush()

    async def _live(self) -> list[Notice]:
        """The pending notices, without what has become untrue or was answered since (set
        aside as dropped)."""
        pending = await self.store.pending()
        now = self.clock()
        snoozed: Collection[str] = ()
        acks: list[Ack] = []
        if pending and self.silences is not None:
            snoozed, acks = await self.silences.snoozed(now), await self.silences.acks(now)
        live = []
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
            if shared(notice) and notice.account in snoozed:
                log.info(
                    "alert %s: its account was snoozed first; judged again after", notice.nonce
                )
                await self.store.hold(notice, condition_of(notice.payload))
                continue
            notice = unanswered(notice, snoozed, acks)
            if notice is None:
                log.info("alert %s was acknowledged first", queued.nonce)
                await self.store.set_aside(
                    queued.nonce, "dropped", "acknowledged before it was posted", now
                )
                continue
            live.append(notice)
        return live

    async def _flush(self) -> Posted:
        posted = await self._post()
        if self.follow_ups is not None:
            await self.follow_ups.redraw_pending()
        return posted

    async def _post(self) -> Posted:
        live = await self._live()
        if not live and not self.channel_errors:
            return Posted()
        book = await self.rules()
        for gone in self.channel_errors.keys() - book.channels():
            del self.channel_errors[gone]  # no rule sends alerts there any more
        if not live:
            return Posted()
        quiet = self.quiet_until is not None and await self.quiet_until(self.clock()) is not None
        routed: dict[int | None, list[Notice]] = {}
        for notice in live:
            payload = notice.payload
            where = payload.channel_id if isinstance(payload, Reply) else None
            routed.setdefault(where or book.of(notice.account).channel_id, []).append(notice)
        posted = Posted()
        for channel_id, notices in routed.items():
            if channel_id is None:
                for notice in notices:
                    log.warning("alert %s has nowhere to go: %s", notice.nonce, NO_CHANNEL)
                    await self.store.set_aside(notice.nonce, "failed", NO_CHANNEL, self.clock())
                continue
            roles: dict[int | None, list[Notice]] = {}
            for notice in notices:
                roles.setdefault(self._role(notice, book, quiet), []).append(notice)
            posted += await self._flush_to(channel_id, roles, book)
        return posted

    @staticmethod
    def _role(notice: Notice, book: RuleBook, quiet: bool) -> int | None:
        """The role `notice` pings: a follow-up's own, none for other replies, none in
        quiet hours unless it is urgent, else the account's."""
        payload = notice.payload
        if isinstance(payload, Reply):
            return payload.role_id or None if isinstance(payload, Escalated) else None
        if quiet and not urgent(notice):
            return None
        return book.of(notice.account).role_id

    async def _flush_to(
        self, channel_id: int, roles: dict[int | None, list[Notice]], book: RuleBook
    ) -> Posted:
        """Post the notices of one channel, each group pinging its role."""
        live = [n for notices in roles.values() for n in notices]
        role_of = {n.nonce: role for role, notices in roles.items() for n in notices}
        try:
            posted = await self.channel.posted(channel_id)
        except Refused as exc:
            for notice in live:
                await self.store.mark_failed(notice.nonce, exc.reason)
            self._channel_failed(channel_id, exc.reason)
            return Posted()
        todo = []
        messages: set[int] = set()
        sent = transient = 0
        for notice in live:
            if (message_id := posted.get(notice.nonce)) is not None:
                log.info("alert %s was already posted; not posting it again", notice.nonce)
                await self._sent([notice], message_id, channel_id, notice.nonce, book)
                messages.add(message_id)
                sent += 1
            else:
                todo.append(notice)
        queue: list[Draft[Message]] = []
        for role in roles:
            for unit in units([n for n in todo if role_of[n.nonce] == role]):
                queue += await self.channel.drafts(unit, role)
        while queue:
            draft = queue.pop(0)
            unit, ref = draft.notices, draft.ref
            try:
                for notice in unit:
                    await self.store.mark_attempt(notice.nonce)
                await self._announce(draft)
                message_id = await self.channel.post(draft.message, ref, channel_id)
            except Refused as exc:
                for notice in unit:
                    await self.store.mark_failed(notice.nonce, exc.reason)
                if exc.scope is Scope.CHANNEL:
                    self._channel_failed(channel_id, exc.reason)
                    break
                if exc.scope is Scope.TRANSIENT:
                    log.warning("alert %s not posted this time: %s", ref, exc.reason)
                    transient += 1
                    if transient >= TRANSIENT_PER_FLUSH:
                        break
                    continue
                if len(unit) > 1:
                    log.warning(
                        "Discord refused the shared message %s (%s): posting its alerts "
                        "one at a time",
                        ref,
                        exc.reason,
                    )
                    alone = [await self.channel.drafts([n], role_of[n.nonce]) for n in unit]
                    queue[:0] = [d for drafts in alone for d in drafts]
                    continue
                await self._refused(draft.notices[0], exc)
                continue
            await self._sent(unit, message_id, channel_id, ref, book)
            messages.add(message_id)
            sent += len(unit)
        return Posted(len(messages), sent)

    async def _announce(self, draft: Draft[Message]) -> None:
        """Keep what a message with buttons is about (its accounts, its batches), under its
        ref, before it is posted: a press may come at once."""
        if self.groups is None or not all(shared(n) for n in draft.notices):
            return
        about = [a for n in draft.notices for a in announced(n)]
        accounts = [n.account for n in draft.notices]
        group = AlertGroup(draft.ref, accounts, about, nonces=[n.nonce for n in draft.notices])
        await self.groups.save(group, self.clock())

    async def _sent(
        self,
        unit: Sequence[Notice],
        message_id: int,
        channel_id: int,
        ref: str,
        book: RuleBook,
    ) -> None:
        if self.follow_ups is not None:
            await self.follow_ups.posted(unit, ref, channel_id, message_id, self.clock(), book)
        for notice in unit:
            await self.store.mark_sent(notice.nonce, message_id, self.clock())
            self.on_sent(notice)
        if self.channel_errors.pop(channel_id, None):
            log.info("the alert channel works again (%d)", channel_id)

    def _channel_failed(self, channel_id: int, reason: str) -> None:
        if reason != self.channel_errors.get(channel_id):
            log.error("cannot post alerts: %s", reason)
            self.channel_errors[channel_id] = reason

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
