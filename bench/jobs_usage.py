"""`/usage view:jobs days:90` end to end through the real bot process, with 90 days of job
statistics for 50 accounts and 10 models each in SQLite and in PostgreSQL.

    .venv/bin/python -m bench.jobs_usage [--count 30] [--accounts 50] [--models 10]
                                         [--days 90] [--backend sqlite|postgresql|both]

The statistics are written to the bot's database before it starts, each day as read after it
was over (so the bot's backfill does not read them again; today is read once, empty). The
command is then injected `--count` times per backend, one at a time, the backends taking turns
(ABBA). "final" is the edit of the original response that carries the picture: the reads of
the store, the view, the embed and the PNG drawn off the event loop.
"""

from __future__ import annotations

import argparse
import asyncio
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, timedelta

from bench.common import Rig, backend_option, chosen_backends, percentile, postgres_for, rig, table
from bench.usage import answer_of, take_turns
from minimax_api import DayFigures, Outcome
from state import open_database, parse_database_url
from testbed.databases import BACKEND_NAMES
from testbed.discord_stub import Injected
from testbed.upstream import FakeUseapi
from usage.domain.jobs import JobStore

MODELS = ("23000", "23001", "23010", "23011", "23021", "23102", "23200", "23204", "23210", "23217")


def day_figures(i: int, models: int) -> DayFigures:
    """A busy day: 40 jobs per model, most succeeding, some out of credits or rejected."""
    shown = MODELS[:models] if models <= len(MODELS) else [f"m{k}" for k in range(models)]
    jobs = 40 * len(shown)
    failed, rejected = 2 + i % 5, i % 3
    return DayFigures(
        outcomes=(
            Outcome("videos-create", 200, jobs - failed - rejected, 40_000 * jobs, jobs),
            Outcome("videos-create", 412, failed),
            Outcome("videos-create", 596, rejected),
        ),
        models=dict.fromkeys(shown, 40),
    )


async def seed(database_url: str, accounts: list[str], models: int, days: int) -> int:
    db = await open_database(parse_database_url(database_url))
    try:
        store, today = JobStore(db), datetime.now(UTC).date()
        read_at = datetime.now(UTC)
        for account in accounts:
            for i in range(1, days + 1):
                day: date = today - timedelta(days=i)
                await store.replace_day(
                    account, day, day_figures(i, models), read_at=read_at, final=True
                )
    finally:
        await db.close()
    return len(accounts) * days


def row(backend: str, days: int, done: list[Injected]) -> list[object]:
    first = [(i.calls[0].at - i.at) * 1000 for i in done]
    final = [(answer_of(i).at - i.at) * 1000 for i in done]
    return [
        BACKEND_NAMES[backend],
        days,
        len(done),
        f"{percentile(first, 50):.1f}",
        f"{percentile(final, 50):.1f}",
        f"{percentile(final, 99):.1f}",
    ]


async def rows(
    count: int, accounts: int, models: int, days: int, backends: list[str]
) -> list[list[object]]:
    names = [f"acct{i}" for i in range(accounts)]
    options = {"days": 90, "view": "jobs"}
    async with postgres_for(backends) as postgres, AsyncExitStack() as stack:
        rigs: dict[str, Rig[FakeUseapi]] = {}
        for b in backends:
            server = postgres if b == "postgresql" else None
            rigs[b] = await stack.enter_async_context(rig(FakeUseapi(), postgres=server))
            for name in names:
                rigs[b].upstream.add_account(name)
            await seed(rigs[b].database_url, names, models, days)
        env = {
            "USEAPI_ACCOUNTS": ",".join(names),
            "USEAPI_MAX_RPS": "100000",
            "STATS_INTERVAL_MINUTES": "600",
        }
        done = await take_turns(rigs, env, options, count)
    return [row(b, days, done[b]) for b in backends]


async def run(count: int, accounts: int, models: int, days: int, backends: list[str]) -> str:
    answered = table(
        ["database", "days", "n", "first p50 ms", "final p50 ms", "final p99 ms"],
        await rows(count, accounts, models, days, backends),
    )
    return (
        f"/usage view:jobs days:90 end to end, {accounts} accounts x {models} models x "
        f"{days} days of statistics\n{answered}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=30, help="commands per backend")
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--models", type=int, default=10)
    parser.add_argument("--days", type=int, default=90)
    backend_option(parser)
    args = parser.parse_args()
    backends = chosen_backends(args.backend)
    print(asyncio.run(run(args.count, args.accounts, args.models, args.days, backends)))


if __name__ == "__main__":
    main()
