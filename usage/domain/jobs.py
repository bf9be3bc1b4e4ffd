"""Where useapi.net's job statistics are kept: per account and UTC day, the jobs and time per
endpoint and outcome code, and the jobs per model (the two facets of
`minimax_api.stats.DayFigures`: the rows carry no model and `summary.by_model` no code, so
neither is split over the other). A day is replaced whole each time it is read, so re-reading
it (a restart, another replica, the next interval) never counts a job twice; `job_days` says
which days were read, and whether after they were over.

Days are `YYYY-MM-DD` text, so a window is a range of the primary key (account, day, …) for
named accounts and of the `day` index for every account: 90 days of 50 accounts with 10 models are
45,000 rows of `job_models`, summed in the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from minimax_api import DayFigures
from state import Database, Queries
from state.moments import from_epoch, to_epoch


@dataclass(frozen=True)
class DayRead:
    """A day of an account's statistics as last read: when, and whether the day was over
    (its late rows in) by then."""

    account: str
    day: date
    read_at: datetime
    final: bool


@dataclass(frozen=True)
class AccountJobs:
    """One account's jobs over a window: how many, how many succeeded (2xx), and their
    total time over the `timed` ones whose rows gave one."""

    jobs: int = 0
    succeeded: int = 0
    msec: int = 0
    timed: int = 0

    @property
    def success_rate(self) -> float | None:
        """Percent of jobs that succeeded; None without jobs."""
        return 100 * self.succeeded / self.jobs if self.jobs else None


def _where(
    accounts: Sequence[str] | None, since: date, until: date, first: int = 1
) -> tuple[str, list[object]]:
    """The WHERE clause of a window [since, until] (days included), of `accounts` (None:
    every account; empty: none)."""
    args: list[object] = [since.isoformat(), until.isoformat()]
    sql = f"WHERE day >= ${first} AND day <= ${first + 1}"
    if accounts is not None:
        names = list(dict.fromkeys(accounts)) or [""]  # no account: matches none ("" is none)
        marks = ", ".join(f"${first + 2 + i}" for i in range(len(names)))
        sql += f" AND account IN ({marks})"
        args += names
    return sql, args


class JobStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def replace_day(
        self,
        account: str,
        day: date,
        figures: DayFigures,
        *,
        read_at: datetime,
        final: bool = False,
    ) -> None:
        """`account`'s figures of `day` are these, in one transaction: what an earlier read
        of the day stored is replaced, never added to. The `job_days` row is written first,
        so two processes replacing the same day wait for each other (PostgreSQL locks the
        row; SQLite has one writer) instead of mixing their rows."""
        key = (account, day.isoformat())
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO job_days(account, day, read_at, final) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT(account, day) DO UPDATE SET read_at = excluded.read_at, "
                "final = excluded.final",
                *key,
                to_epoch(read_at),
                int(final),
            )
            await tx.execute("DELETE FROM job_outcomes WHERE account = $1 AND day = $2", *key)
            await tx.execute("DELETE FROM job_models WHERE account = $1 AND day = $2", *key)
            await _insert(tx, key, figures)

    async def days_read(self, accounts: Sequence[str] | None, since: date) -> list[DayRead]:
        """The days of `accounts` from `since` on that were read."""
        where, args = _where(accounts, since, date.max)
        rows = await self.db.fetch(
            f"SELECT account, day, read_at, final FROM job_days {where} ORDER BY account, day",
            *args,
        )
        return [DayRead(a, date.fromisoformat(d), from_epoch(r), bool(f)) for a, d, r, f in rows]

    async def by_model(
        self, accounts: Sequence[str] | None, since: date, until: date
    ) -> dict[str, int]:
        """Jobs per model over the window ("" for jobs of no known model), most first."""
        where, args = _where(accounts, since, until)
        rows = await self.db.fetch(
            f"SELECT model, SUM(jobs) FROM job_models {where} GROUP BY model", *args
        )
        return dict(sorted(((m, int(n)) for m, n in rows), key=lambda r: (-r[1], r[0])))

    async def by_account(
        self, accounts: Sequence[str] | None, since: date, until: date
    ) -> dict[str, AccountJobs]:
        """Each account's jobs over the window (an account without any is left out)."""
        where, args = _where(accounts, since, until)
        rows = await self.db.fetch(
            "SELECT account, SUM(jobs), "
            "SUM(CASE WHEN code >= 200 AND code < 300 THEN jobs ELSE 0 END), "
            f"SUM(msec), SUM(timed) FROM job_outcomes {where} GROUP BY account ORDER BY account",
            *args,
        )
        return {a: AccountJobs(int(j), int(s), int(m), int(t)) for a, j, s, m, t in rows}

    async def by_day(
        self, accounts: Sequence[str] | None, since: date, until: date
    ) -> dict[date, dict[str, int]]:
        """Jobs per day per model over the window, days in order (a day without jobs is
        left out)."""
        where, args = _where(accounts, since, until)
        rows = await self.db.fetch(
            f"SELECT day, model, SUM(jobs) FROM job_models {where} "
            "GROUP BY day, model ORDER BY day, model",
            *args,
        )
        found: dict[date, dict[str, int]] = {}
        for day, model, jobs in rows:
            found.setdefault(date.fromisoformat(day), {})[model] = int(jobs)
        return found

    async def outcomes(
        self, accounts: Sequence[str] | None, since: date, until: date
    ) -> dict[int, int]:
        """Jobs per outcome code over the window, by code."""
        where, args = _where(accounts, since, until)
        rows = await self.db.fetch(
            f"SELECT code, SUM(jobs) FROM job_outcomes {where} GROUP BY code ORDER BY code",
            *args,
        )
        return {int(c): int(n) for c, n in rows}

    async def forget_before(self, day: date) -> None:
        """Drop the days before `day` (useapi.net keeps three months)."""
        async with self.db.transaction() as tx:
            for table in ("job_outcomes", "job_models", "job_days"):
                await tx.execute(f"DELETE FROM {table} WHERE day < $1", day.isoformat())


async def _insert(tx: Queries, key: tuple[str, str], figures: DayFigures) -> None:
    await tx.executemany(
        "INSERT INTO job_outcomes(account, day, endpoint, code, jobs, msec, timed) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT(account, day, endpoint, code) "
        "DO UPDATE SET jobs = excluded.jobs, msec = excluded.msec, timed = excluded.timed",
        [(*key, o.endpoint, o.code, o.jobs, o.msec, o.timed) for o in figures.outcomes],
    )
    await tx.executemany(
        "INSERT INTO job_models(account, day, model, jobs) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT(account, day, model) DO UPDATE SET jobs = excluded.jobs",
        [(*key, model, jobs) for model, jobs in figures.models.items()],
    )


__all__ = ["AccountJobs", "DayRead", "JobStore"]
