"""Where alerts are remembered: the store interface and its SQLite implementation.

Claim, send, mark: an alert's key and the message announcing it are written in one
transaction before anything is sent; the message stays in the outbox until Discord accepted
it. A restart resends what is pending with the same nonce and never claims a key twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from state import Database

from .notices import Notice, NoticeKind, load_payload
from .rules import AlertKey, ExpiryKind


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
class Health:
    account: str
    failures: int = 0
    failing_since: datetime | None = None
    notified: bool = False
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    soonest: datetime | None = None


@dataclass
class Claim:
    """What one account's check decided: a notice for the keys in `announce`, or none."""

    notice: Notice | None
    announce: Sequence[AlertKey] = ()
    silence: Sequence[AlertKey] = field(default_factory=list)


class AlertStore(Protocol):
    async def done_keys(self, account: str) -> set[AlertKey]: ...
    async def claim(self, claim: Claim) -> None: ...
    async def queue(self, notice: Notice, *, notified: bool) -> None: ...
    async def pending(self) -> list[Notice]: ...
    async def mark_sent(self, nonce: str, message_id: int | None, at: datetime) -> None: ...
    async def mark_attempt(self, nonce: str) -> None: ...
    async def mark_failed(self, nonce: str, error: str) -> None: ...
    async def mark_refused(self, nonce: str, error: str) -> int: ...
    async def set_aside(
        self,
        nonce: str,
        outcome: str,
        reason: str,
        at: datetime,
        replacement: Notice | None = None,
    ) -> None: ...
    async def failed(self, limit: int) -> list[SetAside]: ...
    async def record_success(
        self, account: str, soonest: datetime | None, at: datetime
    ) -> Health: ...
    async def record_failure(self, account: str, error: str, at: datetime) -> Health: ...
    async def health(self) -> list[Health]: ...
    async def forget_before(self, moment: datetime) -> None: ...


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _key_row(key: AlertKey) -> tuple[str, str, int, float]:
    return (key.account, str(key.kind), key.ends_at, key.threshold)


class SqliteAlertStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def done_keys(self, account: str) -> set[AlertKey]:
        async with self.db.conn.execute(
            "SELECT account, kind, ends_at, threshold FROM alert_keys WHERE account = ?", (account,)
        ) as cur:
            rows = await cur.fetchall()
        return {AlertKey(a, ExpiryKind(k), int(e), float(t)) for a, k, e, t in rows}

    async def claim(self, claim: Claim) -> None:
        notice = claim.notice
        now = _iso(notice.created_at if notice else datetime.now(UTC))
        rows = [(*_key_row(k), notice.nonce if notice else None, now) for k in claim.announce]
        rows += [(*_key_row(k), None, now) for k in claim.silence]
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT OR IGNORE INTO alert_keys(account, kind, ends_at, threshold, nonce, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            if notice is not None:
                await self._insert(conn, notice)

    async def queue(self, notice: Notice, *, notified: bool) -> None:
        async with self.db.transaction() as conn:
            await self._insert(conn, notice)
            await conn.execute(
                "UPDATE account_health SET notified = ? WHERE account = ?",
                (int(notified), notice.account),
            )

    @staticmethod
    async def _insert(conn: Any, notice: Notice) -> None:
        await conn.execute(
            "INSERT OR IGNORE INTO outbox(nonce, account, kind, payload, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                notice.nonce,
                notice.account,
                str(notice.kind),
                notice.payload_json(),
                _iso(notice.created_at),
            ),
        )

    async def pending(self) -> list[Notice]:
        async with self.db.conn.execute(
            "SELECT nonce, account, kind, payload, created_at, attempts, refusals FROM outbox "
            "WHERE sent_at IS NULL AND set_aside IS NULL ORDER BY created_at, rowid"
        ) as cur:
            rows = await cur.fetchall()
        return [
            Notice(n, a, load_payload(k, p), _time(c) or datetime.now(UTC), t, r)
            for n, a, k, p, c, t, r in rows
        ]

    async def mark_sent(self, nonce: str, message_id: int | None, at: datetime) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET sent_at = ?, message_id = ?, last_error = NULL WHERE nonce = ?",
                (_iso(at), str(message_id) if message_id else None, nonce),
            )

    async def mark_attempt(self, nonce: str) -> None:
        """Recorded before each send: after a crash, attempts > 0 means "maybe posted"."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET attempts = attempts + 1 WHERE nonce = ?", (nonce,)
            )

    async def mark_failed(self, nonce: str, error: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET last_error = ? WHERE nonce = ?", (error[:500], nonce)
            )

    async def mark_refused(self, nonce: str, error: str) -> int:
        """Count one more refusal of this very message; returns the count."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET refusals = refusals + 1, last_error = ? WHERE nonce = ?",
                (error[:500], nonce),
            )
            async with conn.execute("SELECT refusals FROM outbox WHERE nonce = ?", (nonce,)) as cur:
                row = await cur.fetchone()
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
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET set_aside = ?, set_aside_at = ?, last_error = ? WHERE nonce = ?",
                (outcome, _iso(at), reason[:500], nonce),
            )
            if replacement is not None:
                await self._insert(conn, replacement)

    async def failed(self, limit: int) -> list[SetAside]:
        """The notices refused for good, newest first."""
        async with self.db.conn.execute(
            "SELECT nonce, account, kind, set_aside, last_error, set_aside_at FROM outbox "
            "WHERE set_aside = 'failed' ORDER BY set_aside_at DESC LIMIT ?",
            (limit,),
        ) as cur:
            rows = await cur.fetchall()
        return [
            SetAside(n, a, NoticeKind(k), o, e or "", _time(at) or datetime.now(UTC))
            for n, a, k, o, e, at in rows
        ]

    async def record_success(self, account: str, soonest: datetime | None, at: datetime) -> Health:
        """Reset the failure streak; returns the health as it was before."""
        before = await self._health(account)
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO account_health(account, failures, last_success, soonest) "
                "VALUES (?, 0, ?, ?) ON CONFLICT(account) DO UPDATE SET failures = 0, "
                "failing_since = NULL, last_success = excluded.last_success, "
                "soonest = excluded.soonest",
                (account, _iso(at), _iso(soonest)),
            )
        return before

    async def record_failure(self, account: str, error: str, at: datetime) -> Health:
        """Count one more failure in a row; returns the health after it."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO account_health(account, failures, failing_since, last_error, "
                "last_error_at) VALUES (?, 1, ?, ?, ?) ON CONFLICT(account) DO UPDATE SET "
                "failures = failures + 1, failing_since = COALESCE(failing_since, "
                "excluded.failing_since), last_error = excluded.last_error, "
                "last_error_at = excluded.last_error_at",
                (account, _iso(at), error[:500], _iso(at)),
            )
        return await self._health(account)

    async def _health(self, account: str) -> Health:
        found = await self._select("WHERE account = ?", (account,))
        return found[0] if found else Health(account)

    async def health(self) -> list[Health]:
        return await self._select("ORDER BY account", ())

    async def _select(self, where: str, args: Iterable[object]) -> list[Health]:
        async with self.db.conn.execute(
            "SELECT account, failures, failing_since, notified, last_success, last_error, "
            f"last_error_at, soonest FROM account_health {where}",
            tuple(args),
        ) as cur:
            rows = await cur.fetchall()
        return [
            Health(a, f, _time(fs), bool(n), _time(ls), le, _time(lea), _time(s))
            for a, f, fs, n, ls, le, lea, s in rows
        ]

    async def forget_before(self, moment: datetime) -> None:
        """Drop keys of batches that ended long ago, and old sent messages."""
        cutoff = int(moment.timestamp())
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM alert_keys WHERE ends_at < ?", (cutoff,))
            await conn.execute(
                "DELETE FROM outbox WHERE sent_at < ? OR set_aside_at < ?",
                (_iso(moment), _iso(moment)),
            )


KEEP = timedelta(days=30)
