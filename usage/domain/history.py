"""Where usage history is kept: a snapshot per account and check, thinned as it ages."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from state import Database
from state.moments import from_epoch, to_epoch
from usage.domain.outlook import Outlook, Past
from usage.domain.retention import DAILY_AFTER, HISTORY_KEPT, HOURLY_AFTER
from usage.domain.snapshot import Snapshot
from usage.domain.units import DAY, HOUR

# The same buckets as retention.thin, in SQL: a bucket is in the daily (hourly) zone once it
# ended before the daily (hourly) line, and keeps only its latest snapshot. Zones are plain
# ranges of `at` and the later row is looked for in the same bucket only, so both databases
# use the primary key (account, at) instead of scanning the account's whole history.
_LATER_IN_SAME = (
    "EXISTS (SELECT 1 FROM snapshots AS later WHERE later.account = snapshots.account "
    "AND later.at > snapshots.at AND later.at < (snapshots.at / {size} + 1) * {size})"
)


PAST_FRESH = 60.0
"""Seconds an account's summed-up past serves the command path without this process
writing to its history (another replica's writes, and the window sliding, show after it)."""
PASTS_KEPT = 4096


class History:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._pasts: dict[tuple[str, timedelta], tuple[float, Past]] = {}
        self._windows: set[timedelta] = set()  # the windows pasts are kept for
        self._writes = 0  # a past read while a write (or thinning) went on is not kept

    async def record(self, snapshots: Sequence[tuple[str, Snapshot]]) -> None:
        """Keep these snapshots, in one write; a second one of the same second is ignored."""
        if not snapshots:
            return
        self._writes += 1  # a past being read now misses these: it is not kept
        await self.db.executemany(
            "INSERT INTO snapshots(account, at, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [
                (account, to_epoch(s.at), json.dumps(s.to_json(), separators=(",", ":")))
                for account, s in snapshots
            ],
        )
        self._writes += 1
        for account, snapshot in snapshots:  # what is kept learns the write (exactly)
            for window in self._windows:
                if (kept := self._pasts.get((account, window))) is not None:
                    self._pasts[(account, window)] = (kept[0], kept[1].plus(snapshot))

    def _forget(self) -> None:
        """Drop every summed-up past (thinning changed what the history holds)."""
        self._writes += 1
        self._pasts.clear()

    async def past(self, account: str, now: datetime, window: timedelta) -> Past:
        """The account's last `window` of history, summed up; read from the database once
        per write of this process (or PAST_FRESH seconds), not on every command."""
        key = (account, window)
        kept = self._pasts.get(key)
        if kept is not None and time.monotonic() - kept[0] < PAST_FRESH:
            return kept[1]
        writes = self._writes
        past = Past.of(await self.of(account, now - window), now, window)
        if writes == self._writes:
            self._windows.add(window)
            self._pasts.pop(key, None)
            self._pasts[key] = (time.monotonic(), past)
            while len(self._pasts) > PASTS_KEPT:
                del self._pasts[next(iter(self._pasts))]
        return past

    async def of(self, account: str, since: datetime) -> list[Snapshot]:
        """The account's snapshots from `since` on, oldest first."""
        rows = await self.db.fetch(
            "SELECT data FROM snapshots WHERE account = $1 AND at >= $2 ORDER BY at",
            account,
            to_epoch(since),
        )
        return [Snapshot.from_json(json.loads(data)) for (data,) in rows]

    async def outlooks(
        self,
        account: str,
        now: datetime,
        window: timedelta,
        current: Snapshot | None = None,
    ) -> list[Outlook]:
        """Each pool's outlook from the last `window` of history (and `current`, the read
        just made, which may not be recorded yet)."""
        past = await self.past(account, now, window)
        return (past.plus(current) if current is not None else past).outlooks(now)

    async def first(self, account: str) -> datetime | None:
        """When the account's history begins."""
        rows = await self.db.fetch("SELECT MIN(at) FROM snapshots WHERE account = $1", account)
        oldest = rows[0][0] if rows else None
        return None if oldest is None else from_epoch(int(oldest))

    async def thin(self, now: datetime, since: datetime | None = None) -> int:
        """Drop what retention.thin would: older than 90 days, and all but the latest of each
        hour (day) that ended over 2 (14) days ago. With `since` (the last thinning), only
        the buckets that crossed a line after it are looked at: thinning every hour then
        reads a day's worth of rows, not 90. Returns how many rows went."""
        self._forget()
        stamp = to_epoch(now)
        day, hour = _seconds(DAY), _seconds(HOUR)
        daily_cut = (stamp - _seconds(DAILY_AFTER)) // day * day
        hourly_cut = (stamp - _seconds(HOURLY_AFTER)) // hour * hour
        band = 0 if since is None else to_epoch(since - DAY)
        async with self.db.transaction() as tx:
            gone = await tx.execute(
                "DELETE FROM snapshots WHERE at < $1", stamp - _seconds(HISTORY_KEPT)
            )
            gone += await tx.execute(
                "DELETE FROM snapshots WHERE at >= $1 AND at < $2 AND "
                + _LATER_IN_SAME.format(size=day),
                band - _seconds(DAILY_AFTER),
                daily_cut,
            )
            gone += await tx.execute(
                "DELETE FROM snapshots WHERE at >= $1 AND at < $2 AND "
                + _LATER_IN_SAME.format(size=hour),
                max(daily_cut, band - _seconds(HOURLY_AFTER)),
                hourly_cut,
            )
        self._forget()  # and after: a past read while thinning ran is not kept either
        return gone


def _seconds(span: timedelta) -> int:
    return int(span.total_seconds())
