"""What follows an alert once it is posted: where each alert notice went (`alert_posts`), its
resolution when its cause ends (the message then says so: `alert_resolved`, redrawn through
the `Redraws` port), and the escalation of an alert nobody answers (`escalations`): a reply
pinging a role after `escalate_after`, repeated at most `escalate_repeat` times.

Escalations are judged when due, not when answered: an account answered on the message (a
press), snoozed, resolved, or whose announced batches have all ended or been acknowledged
gets no follow-up, and its row is closed. Due during quiet hours, it waits for their end. A
follow-up is queued in the outbox with a nonce of its own (the delivery posts it once, as
any notice) in the same transaction that moves the row on, so two processes or a restart
never send it twice."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from alerts.domain.account_rules import RuleBook
from alerts.domain.answers import AlertGroup, AlertGroups
from alerts.domain.due import ExpiryKind
from alerts.domain.notices import (
    Escalated,
    ExpiringSoon,
    Notice,
    ResolvedReply,
    load_payload,
    make_nonce,
)
from alerts.domain.outbox import insert_notice
from alerts.domain.port import Refused, Scope, shared
from alerts.domain.silences import Ack, Silences, Snooze, batch_acknowledged
from state import Database, Queries, fetch_one
from state.moments import from_epoch, to_epoch
from usage.domain.snapshot import same_batch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Plan:
    """How an account's alerts escalate: after `after`, pinging `role_id`, at most `most`
    follow-ups."""

    after: timedelta
    role_id: int
    most: int


Policy = Callable[[RuleBook, str], Plan | None]
"""The escalation plan of an account's alerts, by its rules (None: they do not escalate)."""
QuietUntil = Callable[[datetime], Awaitable[datetime | None]]
"""When the quiet hours in force at a moment end (None: none in force)."""


class Redraws(Protocol):
    async def redraw(
        self, channel_id: int, message_id: int, notices: Sequence[Notice], group: AlertGroup
    ) -> None:
        """Edit the alert message to show `group`'s answers and resolutions; raises
        `alerts.domain.port.Refused`."""
        ...


async def _never_quiet(now: datetime) -> datetime | None:
    return None


async def resolve(q: Queries, nonce: str, line: str, at: datetime) -> bool:
    """The cause of the posted alert `nonce` ended, as `line` says: its message is to say so,
    and when no alert of its account in that message is left open, its escalation ends (with
    one short reply when it had escalated). False when the alert was never posted in a
    message the bot keeps (the caller may say it some other way); True when it was resolved
    now or before."""
    row = await fetch_one(
        q, "SELECT ref, account, channel_id, message_id FROM alert_posts WHERE nonce = $1", nonce
    )
    if row is None:
        return False
    ref, account, channel_id, message_id = row
    new = await q.execute(
        "INSERT INTO alert_resolved(nonce, ref, line, at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT DO NOTHING",
        nonce,
        ref,
        line,
        to_epoch(at),
    )
    if not new or await _open_left(q, ref, account):
        return True
    found = await fetch_one(
        q,
        "SELECT sent, state FROM escalations WHERE ref = $1 AND account = $2",
        ref,
        account,
    )
    await q.execute(
        "UPDATE escalations SET state = 'resolved' WHERE ref = $1 AND account = $2 "
        "AND state = 'pending'",
        ref,
        account,
    )
    if found is not None and int(found[0]) > 0:
        reply = ResolvedReply(ref, int(channel_id), int(message_id), account, line)
        await insert_notice(q, Notice(make_nonce("resolved", ref, account), account, reply, at))
    return True


async def _open_left(q: Queries, ref: str, account: str) -> int:
    row = await fetch_one(
        q,
        "SELECT COUNT(*) FROM alert_posts p WHERE p.ref = $1 AND p.account = $2 AND NOT EXISTS "
        "(SELECT 1 FROM alert_resolved r WHERE r.nonce = p.nonce)",
        ref,
        account,
    )
    return int(row[0]) if row else 0


async def resolve_expiry(
    db: Database,
    account: str,
    alive: Sequence[tuple[str, datetime]],
    now: datetime,
    sessions_known: bool,
) -> int:
    """Resolve the account's posted expiry alerts none of whose batches or sessions is
    still there (`alive`: (kind, end) of what the account has now, credits left in it) though
    some had not ended yet: renewed, or used up in time. Sessions count as there when the
    listing could not be read (`sessions_known` False). Returns how many were resolved."""
    rows = await db.fetch(
        "SELECT p.nonce, o.payload FROM alert_posts p JOIN outbox o ON o.nonce = p.nonce "
        "WHERE p.account = $1 AND o.kind = 'expiry' AND NOT EXISTS "
        "(SELECT 1 FROM alert_resolved r WHERE r.nonce = p.nonce)",
        account,
    )
    resolved = 0
    for nonce, text in rows:
        payload = load_payload("expiry", text)
        assert isinstance(payload, ExpiringSoon)
        items = payload.items
        if not any(i.ends_at > now for i in items):
            continue  # they expired: nothing was resolved (escalations see it ended)
        there = [
            (i.kind is ExpiryKind.SESSION and not sessions_known)
            or any(k == str(i.kind) and same_batch(e, i.ends_at) for k, e in alive)
            for i in items
        ]
        if any(there):
            continue
        sessions = all(i.kind is ExpiryKind.SESSION for i in items)
        line = "the session was renewed" if sessions else "renewed or used up in time"
        async with db.transaction() as tx:
            done = await resolve(tx, nonce, line, now)
        if done:
            resolved += 1
    return resolved


@dataclass(frozen=True)
class Due:
    """One escalation due: its message, account and role, and how far it has gone."""

    ref: str
    account: str
    channel_id: int
    message_id: int
    role_id: int
    started_at: datetime
    due_at: datetime
    every: timedelta
    sent: int
    most: int


class FollowUps:
    """The posts, resolutions and escalations of the alerts, in whichever database the bot
    has; `policy` says how each account's alerts escalate, `quiet_until` when quiet hours end,
    `edits` redraws a message whose alerts were resolved."""

    def __init__(
        self,
        db: Database,
        groups: AlertGroups,
        silences: Silences,
        *,
        policy: Policy,
        edits: Redraws | None = None,
        quiet_until: QuietUntil = _never_quiet,
    ) -> None:
        self.db = db
        self.groups = groups
        self.silences = silences
        self.policy = policy
        self.edits = edits
        self.quiet_until = quiet_until

    async def posted(
        self,
        unit: Sequence[Notice],
        ref: str,
        channel_id: int,
        message_id: int,
        at: datetime,
        book: RuleBook,
    ) -> None:
        """The alerts of `unit` went out in the message `message_id`: remember where, and
        schedule the escalation of each of its accounts whose rules (in `book`, the
        delivery's) say so."""
        alerts = [n for n in unit if shared(n)]
        if not alerts:
            return
        async with self.db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO alert_posts(nonce, ref, account, channel_id, message_id, position, "
                "posted_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                [
                    (n.nonce, ref, n.account, str(channel_id), str(message_id), i, to_epoch(at))
                    for i, n in enumerate(alerts)
                ],
            )
            for account in dict.fromkeys(n.account for n in alerts):
                plan = self.policy(book, account)
                if plan is None:
                    continue
                await tx.execute(
                    "INSERT INTO escalations(ref, account, channel_id, message_id, role_id, "
                    "started_at, due_at, every_s, most) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
                    ref,
                    account,
                    str(channel_id),
                    str(message_id),
                    str(plan.role_id),
                    to_epoch(at),
                    to_epoch(at + plan.after),
                    plan.after.total_seconds(),
                    plan.most,
                )

    async def resolve(self, nonce: str, line: str, at: datetime) -> bool:
        async with self.db.transaction() as tx:
            return await resolve(tx, nonce, line, at)

    async def redraw_pending(self) -> int:
        """Edit the messages whose alerts were resolved since they were last drawn; a
        message Discord no longer has (or will never let the bot edit) is given up. Returns
        how many were edited."""
        if self.edits is None:
            return 0
        rows = await self.db.fetch(
            "SELECT DISTINCT r.ref, p.channel_id, p.message_id, r.at FROM alert_resolved r "
            "JOIN alert_posts p ON p.nonce = r.nonce WHERE r.drawn = 0"
        )
        latest: dict[tuple[str, int, int], int] = {}
        for ref, channel_id, message_id, at in rows:
            place = (str(ref), int(channel_id), int(message_id))
            latest[place] = max(latest.get(place, 0), int(at))
        edited = 0
        for (ref, channel_id, message_id), at in latest.items():
            group = await self.groups.get(ref)
            notices = await self._notices(ref)
            if group is None or not notices:
                await self._drawn(ref, at)
                continue
            try:
                await self.edits.redraw(channel_id, message_id, notices, group)
            except Refused as exc:
                if exc.scope is Scope.TRANSIENT:
                    log.warning("alert message %s not redrawn this time: %s", ref, exc.reason)
                    continue
                log.warning("alert message %s cannot show it was resolved: %s", ref, exc.reason)
            else:
                edited += 1
            await self._drawn(ref, at)
        return edited

    async def _drawn(self, ref: str, at: int) -> None:
        await self.db.execute(
            "UPDATE alert_resolved SET drawn = 1 WHERE ref = $1 AND at <= $2", ref, at
        )

    async def _notices(self, ref: str) -> list[Notice]:
        """The alert notices of a message, in the order of its embeds."""
        rows = await self.db.fetch(
            "SELECT o.nonce, o.account, o.kind, o.payload, o.created_at FROM alert_posts p "
            "JOIN outbox o ON o.nonce = p.nonce WHERE p.ref = $1 ORDER BY p.position",
            ref,
        )
        return [
            Notice(n, a, load_payload(k, p), datetime.fromisoformat(c)) for n, a, k, p, c in rows
        ]

    async def escalate(self, now: datetime, due: Sequence[Due] | None = None) -> int:
        """Queue the follow-ups due by `now` (those read by `due` before, if given: another
        process may have moved them on since); returns how many were queued."""
        if due is None:
            due = await self.due(now)
        if not due:
            return 0
        quiet_end = await self.quiet_until(now)
        if quiet_end is not None:
            await self.db.execute(
                "UPDATE escalations SET due_at = $1 WHERE state = 'pending' AND due_at <= $2",
                to_epoch(quiet_end),
                to_epoch(now),
            )
            log.info("%d alert follow-ups wait for the quiet hours to end", len(due))
            return 0
        snoozed = await self.silences.snoozed(now)
        acks = await self.silences.acks(now)
        together: dict[tuple[str, int], list[Due]] = {}
        messages: dict[str, tuple[AlertGroup | None, list[Notice]]] = {}
        for row in due:
            if row.ref not in messages:  # read once per message, however many accounts
                messages[row.ref] = (await self.groups.get(row.ref), await self._notices(row.ref))
            why = self._closed(row, *messages[row.ref], snoozed, acks, now)
            if why is not None:
                await self.db.execute(
                    "UPDATE escalations SET state = $1 WHERE ref = $2 AND account = $3 "
                    "AND state = 'pending'",
                    why,
                    row.ref,
                    row.account,
                )
                continue
            together.setdefault((row.ref, row.role_id), []).append(row)
        queued = 0
        for rows_of in together.values():
            queued += await self._follow_up(rows_of, now)
        return queued

    async def due(self, now: datetime) -> list[Due]:
        """The escalations due by `now`."""
        rows = await self.db.fetch(
            "SELECT ref, account, channel_id, message_id, role_id, started_at, due_at, every_s, "
            "sent, most FROM escalations WHERE state = 'pending' AND due_at <= $1 "
            "ORDER BY due_at, ref, account",
            to_epoch(now),
        )
        return [
            Due(
                str(r),
                str(a),
                int(c),
                int(m),
                int(role),
                from_epoch(s),
                from_epoch(d),
                timedelta(seconds=float(e)),
                int(n),
                int(most),
            )
            for r, a, c, m, role, s, d, e, n, most in rows
        ]

    @staticmethod
    def _closed(
        row: Due,
        group: AlertGroup | None,
        notices: Sequence[Notice],
        snoozed: Mapping[str, Snooze],
        acks: Sequence[Ack],
        now: datetime,
    ) -> str | None:
        """Why the alert needs no follow-up any more (None: it still does): its message's
        `group` and `notices` say what was answered and resolved."""
        if row.account in snoozed:
            return "snoozed"
        if group is not None and row.account in group.said:
            return "answered"
        live = [
            n
            for n in notices
            if n.account == row.account and (group is None or n.nonce not in group.resolved)
        ]
        if not live:
            return "resolved"
        if all(isinstance(n.payload, ExpiringSoon) for n in live) and not any(
            i.ends_at > now and not batch_acknowledged(n.account, str(i.kind), i.ends_at, acks)
            for n in live
            if isinstance(n.payload, ExpiringSoon)
            for i in n.payload.items
        ):
            return "ended"
        return None

    async def _follow_up(self, rows: list[Due], now: datetime) -> int:
        """One reply for the accounts of one message due together, moving their rows on in
        the same transaction (a row another process moved first is left out)."""
        first = rows[0]
        async with self.db.transaction() as tx:
            moved = []
            for row in rows:
                nth = row.sent + 1
                done = nth >= row.most
                changed = await tx.execute(
                    "UPDATE escalations SET sent = $1, due_at = $2, state = $3 "
                    "WHERE ref = $4 AND account = $5 AND sent = $6 AND state = 'pending'",
                    nth,
                    to_epoch(now + row.every),
                    "done" if done else "pending",
                    row.ref,
                    row.account,
                    row.sent,
                )
                if changed:
                    moved.append(row)
            if not moved:
                return 0
            nth = max(r.sent for r in moved) + 1
            accounts = tuple(r.account for r in moved)
            waited = (now - min(r.started_at for r in moved)).total_seconds()
            payload = Escalated(
                first.ref, first.channel_id, first.message_id, accounts, first.role_id, waited, nth
            )
            nonce = make_nonce(
                "escalation",
                first.ref,
                first.role_id,
                *sorted(f"{r.account}:{r.sent + 1}" for r in moved),
            )
            await insert_notice(tx, Notice(nonce, accounts[0], payload, now))
        log.info("alert %s: nobody answered it; follow-up %d queued", first.ref, nth)
        return 1


def escalation_plan(book: RuleBook, account: str) -> Plan | None:
    """The escalation of `account`'s alerts by its rules: after `escalate_after`, pinging
    `escalate_to`, one follow-up and `escalate_repeat` more at most."""
    rules = book.of(account)
    if rules.escalate_after is None or rules.escalate_to is None:
        return None
    return Plan(rules.escalate_after, rules.escalate_to, 1 + rules.escalate_repeat)
