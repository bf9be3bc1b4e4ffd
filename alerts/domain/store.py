"""Where alerts are remembered, in whichever database the bot has (SQL written once).

Save, send, mark: an alert's key and the message announcing it are written in one
transaction before anything is sent; the message stays in the outbox until Discord accepted
it. A restart resends what is pending with the same nonce and never announces a key twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from alerts.domain.due import AlertKey, ExpiryKind
from alerts.domain.follow_ups import resolve
from alerts.domain.notices import Notice, NoticeKind, load_payload
from alerts.domain.outbox import insert_notice, iso
from state import Database, Queries, fetch_one
from state.moments import from_epoch, to_epoch


@dataclass(frozen=True)
class SetAside:
    """A notice taken out of the outbox unsent: "failed" (refused for good) or "dropped"
    (no longer true when it could have been posted)."""

    nonce: str
    account: str
    kind: NoticeKind
    outcome: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class AccountHealth:
    """How reading one account goes: the failures in a row, the last read, the soonest expiry."""

    account: str
    failures: int = 0
    failing_since: datetime | None = None
    notified: bool = False
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    soonest: datetime | None = None


@dataclass
class AlertDecision:
    """What one account's check decided: the alert keys now done, those in `announce` with
    the notice that announces them, those in `silence` without one."""

    notice: Notice | None
    announce: Sequence[AlertKey] = ()
    silence: Sequence[AlertKey] = field(default_factory=list)


_iso = iso


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _key_row(key: AlertKey) -> tuple[str, str, int, float]:
    return (key.account, str(key.kind), to_epoch(key.ends_at), float(key.threshold))


class AlertStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def done_keys(self, account: str) -> set[AlertKey]:
        rows = await self.db.fetch(
            "SELECT account, kind, ends_at, threshold FROM alert_keys WHERE account = $1", account
        )
        return {AlertKey(a, ExpiryKind(k), from_epoch(e), float(t)) for a, k, e, t in rows}

    async def save(self, decision: AlertDecision) -> None:
        """Mark the decided keys done and queue the notice, in one transaction."""
        notice = decision.notice
        now = _iso(notice.created_at if notice else datetime.now(UTC))
        rows = [(*_key_row(k), notice.nonce if notice else None, now) for k in decision.announce]
        rows += [(*_key_row(k), None, now) for k in decision.silence]
        async with self.db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO alert_keys(account, kind, ends_at, threshold, nonce, created_at) "
                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                rows,
            )
            if notice is not None:
                await self._insert(tx, notice)

    async def readable(self, account: str, unreadable: str, notice: Notice, at: datetime) -> bool:
        """The account can be read again: its "can't read" alert `unreadable` is resolved, or,
        when the bot has no record of its message, `notice` says so; False when neither."""
        async with self.db.transaction() as tx:
            resolved = await resolve(tx, unreadable, "it can be read again", at)
            rows = await tx.fetch("SELECT sent_at FROM outbox WHERE nonce = $1", unreadable)
            waiting = bool(rows) and rows[0][0] is None
            if waiting:
                await tx.execute(
                    "UPDATE outbox SET set_aside = 'dropped', set_aside_at = $2, "
                    "last_error = 'no longer true when it could be posted' "
                    "WHERE nonce = $1 AND set_aside IS NULL",
                    unreadable,
                    _iso(at),
                )
            said = not resolved and not waiting
            if said:
                await self._insert(tx, notice)
            await tx.execute(
                "UPDATE account_health SET notified = 0 WHERE account = $1", notice.account
            )
        return said

    async def queue(self, notice: Notice, *, notified: bool) -> None:
        async with self.db.transaction() as tx:
            await self._insert(tx, notice)
            await tx.execute(
                "UPDATE account_health SET notified = $1 WHERE account = $2",
                int(notified),
                notice.account,
            )

    @staticmethod
    async def _insert(tx: Queries, notice: Notice) -> None:
        await insert_notice(tx, notice)

    async def pending(self) -> list[Notice]:
        rows = await self.db.fetch(
            "SELECT nonce, account, kind, payload, created_at, attempts, refusals FROM outbox "
            "WHERE sent_at IS NULL AND set_aside IS NULL ORDER BY created_at, nonce"
        )
        return [
            Notice(n, a, load_payload(k, p), _time(c) or datetime.now(UTC), t, r)
            for n, a, k, p, c, t, r in rows
        ]

    async def mark_sent(self, nonce: str, message_id: int | None, at: datetime) -> None:
        await self.db.execute(
            "UPDATE outbox SET sent_at = $1, message_id = $2, last_error = NULL WHERE nonce = $3",
            _iso(at),
            str(message_id) if message_id else None,
            nonce,
        )

    async def mark_attempt(self, nonce: str) -> None:
        """Recorded before each send: after a crash, attempts > 0 means "maybe posted"."""
        await self.db.execute("UPDATE outbox SET attempts = attempts + 1 WHERE nonce = $1", nonce)

    async def mark_failed(self, nonce: str, error: str) -> None:
        await self.db.execute(
            "UPDATE outbox SET last_error = $1 WHERE nonce = $2", error[:500], nonce
        )

    async def mark_refused(self, nonce: str, error: str) -> int:
        """Count one more refusal of this very message; returns the count."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET refusals = refusals + 1, last_error = $1 WHERE nonce = $2",
                error[:500],
                nonce,
            )
            row = await fetch_one(tx, "SELECT refusals FROM outbox WHERE nonce = $1", nonce)
        return int(row[0]) if row else 0

    async def set_aside(
        self,
        nonce: str,
        outcome: str,
        reason: str,
        at: datetime,
        replacement: Notice | None = None,
    ) -> None:
        """Take a notice out of the outbox unsent, and queue its replacement in the same step."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET set_aside = $1, set_aside_at = $2, last_error = $3 "
                "WHERE nonce = $4",
                outcome,
                _iso(at),
                reason[:500],
                nonce,
            )
            if replacement is not None:
                await self._insert(tx, replacement)

    async def hold(self, notice: Notice, condition: str | None) -> None:
        """Take back a notice whose account was snoozed before it could be posted, and
        forget that it was said: the steps it announced are not done, its condition is not
        announced, its account's "can't read" not told. The first check after the snooze
        judges them again with everything else still due, so what is still true is posted
        once then (the most severe step only)."""
        async with self.db.transaction() as tx:
            # gone rather than set aside: the same step judged again has the same nonce
            await tx.execute("DELETE FROM outbox WHERE nonce = $1", notice.nonce)
            await tx.execute("DELETE FROM alert_keys WHERE nonce = $1", notice.nonce)
            if condition is not None:
                await tx.execute(
                    "DELETE FROM alert_conditions WHERE account = $1 AND condition = $2",
                    notice.account,
                    condition,
                )
            if notice.kind is NoticeKind.UNREADABLE:
                await tx.execute(
                    "UPDATE account_health SET notified = 0 WHERE account = $1", notice.account
                )

    async def failed(self, limit: int) -> list[SetAside]:
        """The notices refused for good, newest first."""
        rows = await self.db.fetch(
            "SELECT nonce, account, kind, set_aside, last_error, set_aside_at FROM outbox "
            "WHERE set_aside = 'failed' ORDER BY set_aside_at DESC LIMIT $1",
            limit,
        )
        return [
            SetAside(n, a, NoticeKind(k), o, e or "", _time(at) or datetime.now(UTC))
            for n, a, k, o, e, at in rows
        ]

    async def record_success(
        self, account: str, soonest: datetime | None, at: datetime
    ) -> AccountHealth:
        """Reset the failure streak; returns the health as it was before."""
        before = await self._health(account)
        await self.db.execute(
            "INSERT INTO account_health(account, failures, last_success, soonest) "
            "VALUES ($1, 0, $2, $3) ON CONFLICT(account) DO UPDATE SET failures = 0, "
            "failing_since = NULL, last_success = excluded.last_success, "
            "soonest = excluded.soonest",
            account,
            _iso(at),
            _iso(soonest),
        )
        return before

    async def record_failure(self, account: str, error: str, at: datetime) -> AccountHealth:
        """Count one more failure in a row; returns the health after it."""
        await self.db.execute(
            "INSERT INTO account_health(account, failures, failing_since, last_error, "
            "last_error_at) VALUES ($1, 1, $2, $3, $4) ON CONFLICT(account) DO UPDATE SET "
            "failures = account_health.failures + 1, "
            "failing_since = COALESCE(account_health.failing_since, excluded.failing_since), "
            "last_error = excluded.last_error, last_error_at = excluded.last_error_at",
            account,
            _iso(at),
            error[:500],
            _iso(at),
        )
        return await self._health(account)

    async def _health(self, account: str) -> AccountHealth:
        found = await self._select("WHERE account = $1", account)
        return found[0] if found else AccountHealth(account)

    async def health(self) -> list[AccountHealth]:
        return await self._select("ORDER BY account")

    async def _select(self, where: str, *args: object) -> list[AccountHealth]:
        rows = await self.db.fetch(
            "SELECT account, failures, failing_since, notified, last_success, last_error, "
            f"last_error_at, soonest FROM account_health {where}",
            *args,
        )
        return [
            AccountHealth(a, f, _time(fs), bool(n), _time(ls), le, _time(lea), _time(s))
            for a, f, fs, n, ls, le, lea, s in rows
        ]

    async def conditions(self) -> dict[str, dict[str, int]]:
        """The conditions announced and not yet seen clear: account → condition → since
        (epoch milliseconds)."""
        found: dict[str, dict[str, int]] = {}
        for account, condition, since in await self.db.fetch(
            "SELECT account, condition, since FROM alert_conditions"
        ):
            found.setdefault(account, {})[condition] = int(since)
        return found

    async def rise(self, account: str, condition: str, since: int, notice: Notice) -> bool:
        """`condition` holds from `since` (epoch ms): remember it and queue its alert, in one
        step; False (nothing queued) when it was remembered already, by another process too."""
        async with self.db.transaction() as tx:
            new = await tx.execute(
                "INSERT INTO alert_conditions(account, condition, since) VALUES ($1, $2, $3) "
                "ON CONFLICT DO NOTHING",
                account,
                condition,
                since,
            )
            if new:
                await self._insert(tx, notice)
        return bool(new)

    async def clear(
        self,
        account: str,
        condition: str,
        since: int,
        held: str,
        notice: Notice | None,
        resolution: str = "",
    ) -> None:
        """`condition`, held since `since`, no longer holds: re-arm it and set its alert
        `held` aside when it still waits unposted (it is no longer true). A posted alert is
        resolved (`resolution` says how: its message says so); `notice` (back to normal) is
        queued only after a posted alert the bot cannot resolve (no record of its message).
        Nothing happens when another process re-armed it first."""
        async with self.db.transaction() as tx:
            gone = await tx.execute(
                "DELETE FROM alert_conditions WHERE account = $1 AND condition = $2 AND since = $3",
                account,
                condition,
                since,
            )
            if not gone:
                return
            await tx.execute(
                "UPDATE outbox SET set_aside = 'dropped', set_aside_at = $2, "
                "last_error = 'no longer true when it could be posted' "
                "WHERE nonce = $1 AND sent_at IS NULL AND set_aside IS NULL",
                held,
                _iso(datetime.now(UTC)),
            )
            rows = await tx.fetch("SELECT sent_at FROM outbox WHERE nonce = $1", held)
            posted = not rows or rows[0][0] is not None  # no row: posted, and long forgotten
            if not posted:
                return
            resolved = bool(resolution) and await resolve(tx, held, resolution, datetime.now(UTC))
            if notice is not None and not resolved:
                await self._insert(tx, notice)

    async def forget_before(self, moment: datetime) -> None:
        """Drop keys of batches that ended long ago, and old sent or set-aside messages."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM alert_keys WHERE ends_at < $1", to_epoch(moment))
            await tx.execute(
                "DELETE FROM outbox WHERE sent_at < $1 OR set_aside_at < $1", _iso(moment)
            )

    async def stats_failure(self, error: str, at: datetime) -> ReadHealth:
        """One more run of job statistics reads with a failure; returns the health after."""
        await self.db.execute(
            "INSERT INTO job_stats_health(subject, failures, failing_since, last_error) "
            "VALUES ($1, 1, $2, $3) ON CONFLICT(subject) DO UPDATE SET "
            "failures = job_stats_health.failures + 1, "
            "failing_since = COALESCE(job_stats_health.failing_since, excluded.failing_since), "
            "last_error = excluded.last_error",
            STATS_HEALTH,
            _iso(at),
            error[:500],
        )
        return await self._stats_health()

    async def stats_success(self, at: datetime) -> ReadHealth:
        """A run of job statistics reads without a failure: the streak and the notice are
        over; returns the health as it was before."""
        before = await self._stats_health()
        await self.db.execute(
            "INSERT INTO job_stats_health(subject, failures, last_success) VALUES ($1, 0, $2) "
            "ON CONFLICT(subject) DO UPDATE SET failures = 0, failing_since = NULL, "
            "notified = 0, last_success = excluded.last_success",
            STATS_HEALTH,
            _iso(at),
        )
        return before

    async def queue_stats(self, notice: Notice, *, notified: bool) -> None:
        """Queue a job statistics notice and remember whether "can't read" was said, in one
        step."""
        async with self.db.transaction() as tx:
            await self._insert(tx, notice)
            await tx.execute(
                "UPDATE job_stats_health SET notified = $1 WHERE subject = $2",
                int(notified),
                STATS_HEALTH,
            )

    async def _stats_health(self) -> ReadHealth:
        row = await fetch_one(
            self.db,
            "SELECT failures, failing_since, notified, last_error FROM job_stats_health "
            "WHERE subject = $1",
            STATS_HEALTH,
        )
        if row is None:
            return ReadHealth()
        return ReadHealth(int(row[0]), _time(row[1]), bool(row[2]), row[3])


@dataclass(frozen=True)
class ReadHealth:
    """How reading the job statistics goes: the failed runs in a row, since when, whether
    the "can't read" notice went out, and the last error."""

    failures: int = 0
    failing_since: datetime | None = None
    notified: bool = False
    last_error: str | None = None


STATS_HEALTH = "job_stats"
"""The one row of `job_stats_health`: the statistics are read for the whole token."""
KEEP = timedelta(days=30)
