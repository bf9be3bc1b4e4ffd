"""What the team said about its alerts: "we know" (acknowledged batches) and "not now"
(a snoozed account), as Alertmanager's silences and PagerDuty's acknowledge mean them: who,
until when, why, and a snooze ends by itself."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.domain.due import Subject
from state import Database, Queries
from state.moments import from_epoch, to_epoch
from usage.domain.snapshot import same_batch

MAX_SNOOZE = timedelta(days=30)
UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(minutes?|mins?|m|hours?|h|days?|d|weeks?|w)\b")
EXAMPLE = "3h, 2d or 1w"


class BadDuration(ValueError):
    """The text is not a duration a snooze can have; the message says what would be."""


def parse_duration(text: str) -> timedelta:
    """`3h`, `2d`, `1w`, `90m`, `1d 12h`: more than nothing, at most 30 days."""
    cleaned = text.strip().lower()
    parts = list(_PART.finditer(cleaned))
    if not parts or _PART.sub("", cleaned).strip(" ,"):
        raise BadDuration(f"“{text[:40]}” is not a duration: write it like {EXAMPLE}")
    seconds = sum(float(p[1]) * UNITS[p[2][0]] for p in parts)
    if seconds <= 0:
        raise BadDuration(f"a snooze must last some time: write it like {EXAMPLE}")
    if seconds > MAX_SNOOZE.total_seconds():
        raise BadDuration(f"a snooze lasts at most {MAX_SNOOZE.days} days: write it like {EXAMPLE}")
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Snooze:
    account: str
    until: datetime
    by: int  # Discord user id
    reason: str
    at: datetime


@dataclass(frozen=True)
class Ack:
    """One batch the team acknowledged: its later steps are not posted."""

    account: str
    kind: str
    ends_at: datetime
    by: int
    at: datetime


def acknowledged(subject: Subject, acks: Iterable[Ack]) -> bool:
    """Whether the team said "we know" of `subject`'s batch."""
    return batch_acknowledged(subject.account, str(subject.kind), subject.ends_at, acks)


def batch_acknowledged(account: str, kind: str, ends_at: datetime, acks: Iterable[Ack]) -> bool:
    """Whether one of `acks` is about this batch (end times within SAME_BATCH are one)."""
    return any(
        a.account == account and a.kind == kind and same_batch(a.ends_at, ends_at) for a in acks
    )


class Silences:
    """Snoozes and acknowledgements, in whichever database the bot has."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def snooze(self, snooze: Snooze) -> None:
        await write_snooze(self.db, snooze)

    async def end(self, account: str, now: datetime) -> bool:
        """End the account's snooze now (the next check posts what is due and says so);
        False when it was not snoozed."""
        changed = await self.db.execute(
            "UPDATE snoozes SET until_at = $2 WHERE account = $1 AND until_at > $2",
            account,
            to_epoch(now),
        )
        return changed > 0

    async def snoozes(self) -> list[Snooze]:
        rows = await self.db.fetch(
            "SELECT account, until_at, by_user, reason, at FROM snoozes ORDER BY until_at"
        )
        return [Snooze(a, from_epoch(u), int(b), r or "", from_epoch(t)) for a, u, b, r, t in rows]

    async def snoozed(self, now: datetime) -> dict[str, Snooze]:
        """The accounts snoozed at `now`."""
        return {s.account: s for s in await self.snoozes() if s.until > now}

    async def ended(self, now: datetime) -> list[Snooze]:
        """Take the snoozes that are over out of the store (each returned once)."""
        over = [s for s in await self.snoozes() if s.until <= now]
        for snooze in over:
            await self.db.execute(
                "DELETE FROM snoozes WHERE account = $1 AND until_at = $2",
                snooze.account,
                to_epoch(snooze.until),
            )
        return over

    async def acknowledge(self, acks: Iterable[Ack]) -> None:
        await write_acks(self.db, acks)

    async def acks(self, since: datetime | None = None) -> list[Ack]:
        """Acknowledged batches that end after `since` (all when None), soonest first."""
        rows = await self.db.fetch(
            "SELECT account, kind, ends_at, by_user, at FROM acks WHERE ends_at > $1 "
            "ORDER BY ends_at",
            to_epoch(since) if since else 0,
        )
        return [Ack(a, k, from_epoch(e), int(b), from_epoch(t)) for a, k, e, b, t in rows]

    async def forget_before(self, moment: datetime) -> None:
        await self.db.execute("DELETE FROM acks WHERE ends_at < $1", to_epoch(moment))


async def write_snooze(q: Queries, snooze: Snooze) -> None:
    await q.execute(
        "INSERT INTO snoozes(account, until_at, by_user, reason, at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account) DO UPDATE SET "
        "until_at = excluded.until_at, by_user = excluded.by_user, "
        "reason = excluded.reason, at = excluded.at",
        snooze.account,
        to_epoch(snooze.until),
        str(snooze.by),
        snooze.reason,
        to_epoch(snooze.at),
    )


async def write_acks(q: Queries, acks: Iterable[Ack]) -> None:
    await q.executemany(
        "INSERT INTO acks(account, kind, ends_at, by_user, at) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT DO NOTHING",
        [(a.account, a.kind, to_epoch(a.ends_at), str(a.by), to_epoch(a.at)) for a in acks],
    )
