"""Usage history in both databases: recording, reading back, thinning like retention.thin."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from state import Database
from usage.domain.history import History
from usage.domain.outlook import Past
from usage.domain.pace import Pace
from usage.domain.retention import thin
from usage.domain.snapshot import Batch, Pool, Snapshot

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def snap(at: datetime, video: float = 100.0) -> Snapshot:
    return Snapshot(at, video, 5.0, (Batch(Pool.VIDEO, video, NOW + timedelta(days=3)),))


async def test_recorded_snapshots_read_back_in_order(database: Database) -> None:
    history = History(database)
    later, earlier = snap(NOW, 90), snap(NOW - timedelta(hours=1), 100)
    await history.record([("a", later), ("a", earlier), ("b", snap(NOW, 7))])
    await history.record([("a", later)])  # the same check twice: kept once
    assert await history.of("a", NOW - timedelta(days=1)) == [earlier, later]
    assert await history.of("a", NOW) == [later]
    assert await history.first("a") == earlier.at
    assert await history.first("nobody") is None


async def test_thinning_keeps_what_forecast_thin_keeps(database: Database) -> None:
    """Every 7 minutes (with jitter) for 100 days: the database keeps exactly the snapshots
    the pure function keeps, so storage per account is bounded."""
    rng = random.Random(7)
    points, t = [], NOW - timedelta(days=100)
    while t <= NOW:
        points.append(snap(t, rng.uniform(0, 500)))
        t += timedelta(minutes=7, seconds=rng.randint(-60, 60))
    history = History(database)
    await history.record([("a", p) for p in points] + [("b", p) for p in points[-10:]])
    await history.thin(NOW)
    kept = await history.of("a", NOW - timedelta(days=365))
    assert [s.at for s in kept] == [s.at for s in thin(points, NOW)]
    recent = [p for p in points if p.at > NOW - timedelta(days=2, hours=1)]
    assert len(kept) <= len(recent) + 13 * 24 + 77, "hourly for 12 days, daily up to 90"
    assert len(await history.of("b", NOW - timedelta(days=365))) == 10, "per account"
    assert await history.thin(NOW) == 0, "thinning twice changes nothing"


async def test_thinning_since_the_last_time_keeps_what_thinning_everything_keeps(
    database: Database,
) -> None:
    """Thinning every hour, each time only what crossed a line since the last: after a
    week of it, the same rows as one full thinning."""
    points, t = [], NOW - timedelta(days=40)
    while t <= NOW + timedelta(days=7):
        points.append(snap(t))
        t += timedelta(minutes=20)
    history = History(database)
    await history.record([("a", p) for p in points if p.at <= NOW])
    await history.thin(NOW)
    last = NOW
    for hour in range(1, 7 * 24 + 1):
        now = NOW + timedelta(hours=hour)
        await history.record([("a", p) for p in points if last < p.at <= now])
        await history.thin(now, since=last)
        last = now
    kept = await history.of("a", NOW - timedelta(days=365))
    assert [s.at for s in kept] == [s.at for s in thin(points, last)]


WEEK = timedelta(days=7)


async def test_the_command_path_reads_an_accounts_past_once_per_write_of_ours(
    database: Database,
) -> None:
    """The pace behind "at your pace" changes only when a snapshot is written: a second
    command is served from memory, a write of this process is seen at once."""
    history = History(database)
    await history.record([("a", snap(NOW - timedelta(days=2), 300)), ("a", snap(NOW, 100))])
    [before] = [o for o in await history.outlooks("a", NOW, WEEK) if o.pool is Pool.VIDEO]
    assert isinstance(before.pace, Pace) and before.pace.spent == 200
    await database.execute("DELETE FROM snapshots")  # behind the history's back
    [cached] = [o for o in await history.outlooks("a", NOW, WEEK) if o.pool is Pool.VIDEO]
    assert cached == before, "served from memory, not read again"
    await history.record([("a", snap(NOW + timedelta(hours=1), 40))])
    past = await history.past("a", NOW + timedelta(hours=1), WEEK)
    assert past.latest == snap(NOW + timedelta(hours=1), 40), "our write is seen at once"


def test_a_read_added_to_a_summed_up_past_paces_like_the_whole_history() -> None:
    rng = random.Random(3)
    points = [snap(NOW - timedelta(hours=h), rng.uniform(0, 500)) for h in range(100, 0, -3)]
    read = snap(NOW, 20)
    for cut in (0, 1, 5, len(points)):
        whole = Past.of([*points[:cut], read], NOW, WEEK)
        assert Past.of(points[:cut], NOW, WEEK).plus(read) == whole, cut
