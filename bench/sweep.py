"""Sweep: wall time of one expiry check of N accounts, against the physical limit, with the
bot's state in SQLite and in PostgreSQL.

    .venv/bin/python -m bench.sweep [--sizes 10,100,1000] [--latency 0.1] [--concurrency 8]
                                    [--rps 100] [--backend sqlite|postgresql|both]

The limit is max(N·L/C, N/R): C requests in flight at upstream latency L, or R requests per
second when the rate limit binds first. Requests go in whole rounds, so no check can beat
max(⌈N/C⌉·L, N/R) either: the table shows the ratio to both. A check writes each account's
state to the database, goes by a rule stored for every account (its own channel, steps, low
balance and running out, which reads its pace from the history) and reads the useapi.net
account beside the accounts; every size runs on each backend chosen. PostgreSQL is a throw-away
local cluster (testbed/postgres.py), reached over TCP.

With statistics reads on (the default; `--no-stats` leaves them out), every account has jobs
in useapi.net's job statistics, and the checks run back to back: the first check runs alone
(the statistics are read after a process's first check), the second beside the first run of
statistics reads, the backfill of USAGE_WINDOW_DAYS days of every account ("beside stats").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
from datetime import UTC, datetime, timedelta

import aiohttp

from alerts.domain.account_rules import Rule
from alerts.domain.rule_store import RuleStore
from bench.common import (
    backend_option,
    chosen_backends,
    postgres_for,
    rig,
    rss_mb,
    table,
)
from state import open_database, parse_database_url
from testbed.databases import BACKEND_NAMES
from testbed.discord_payloads import CHANNEL_ID
from testbed.postgres import PostgresServer
from testbed.process import free_port
from testbed.upstream import FakeUseapi, sample_features


async def healthz(port: int) -> dict:
    async with aiohttp.ClientSession() as s, s.get(f"http://127.0.0.1:{port}/healthz") as resp:
        return json.loads(await resp.text())


RULE = Rule(channel_id=CHANNEL_ID, steps=(72.0, 24.0, 1.0), low_balance=10.0, runs_out_days=3.0)


async def store_rules(database_url: str, names: list[str]) -> None:
    """A rule for every account, as `/alerts rules` would store it."""
    db = await open_database(parse_database_url(database_url))
    try:
        rules = RuleStore(db)
        now = datetime.now(UTC)
        for name in names:
            await rules.edit(name, lambda _: RULE, 1, now)
    finally:
        await db.close()


async def next_check(port: int, after: str | None) -> dict:
    """The report of the check that finished after the one finished at `after`."""
    while True:
        check = (await healthz(port))["last_check"]
        if isinstance(check, dict) and check["at"] != after:
            return check
        await asyncio.sleep(0.05)


async def sweep_once(
    size: int,
    latency: float,
    concurrency: int,
    rps: float,
    backend: str,
    postgres: PostgresServer | None,
    stats: bool = True,
) -> list[object]:
    async with rig(FakeUseapi(latency=latency), postgres=postgres) as r:
        names = [f"acct{i:04d}" for i in range(size)]
        payload = sample_features(batches_in_hours=[500], audio_in_hours=[600])
        today = datetime.now(UTC).date()
        for name in names:
            r.upstream.add_account(name, payload)
            if stats:
                r.upstream.add_job(name, today, count=2)
                r.upstream.add_job(name, today - timedelta(days=1), code=596)
        await store_rules(r.database_url, names)
        port = free_port()
        bot = r.bot(
            USEAPI_ACCOUNTS=",".join(names),
            ALERT_CHANNEL_ID=str(CHANNEL_ID),
            CHECK_INTERVAL_MINUTES="0.01" if stats else "600",
            POLL_CONCURRENCY=str(concurrency),
            USEAPI_MAX_RPS=str(rps),
            HEALTH_PORT=str(port),
            HEALTH_HOST="127.0.0.1",
        )
        await bot.start()
        try:

            def read_all() -> bool:
                return sum(q.path.endswith("/features/") for q in r.upstream.requests) >= size

            await r.upstream.wait_for(read_all, within=3600)
            check = await next_check(port, None)
            beside, read = None, 0
            if stats:
                beside = await next_check(port, check["at"])
                read = len(r.upstream.stats_calls())  # by the end of the second check
            assert bot.proc is not None
            assert r.upstream.account_calls(), "the useapi.net account was read"
            rss, _ = rss_mb(bot.proc.pid)
        finally:
            await bot.stop()
    seconds = float(check["seconds"])
    ideal = max(size * latency / concurrency, size / rps)
    rounds = max(math.ceil(size / concurrency) * latency, size / rps)
    with_stats = []
    if beside is not None:
        seconds_beside = float(beside["seconds"])
        with_stats = [f"{seconds_beside:.2f}", f"{seconds_beside / ideal:.2f}", read]
    return [
        size,
        BACKEND_NAMES[backend],
        f"{seconds:.2f}",
        f"{ideal:.2f}",
        f"{seconds / ideal:.2f}",
        f"{seconds / rounds:.2f}",
        f"{rss:.0f}",
        *with_stats,
    ]


async def run(
    sizes: list[int],
    latency: float,
    concurrency: int,
    rps: float,
    backends: list[str],
    stats: bool = True,
) -> str:
    rows = []
    async with postgres_for(backends) as postgres:
        for backend in backends:
            server = postgres if backend == "postgresql" else None
            for n in sizes:
                rows.append(await sweep_once(n, latency, concurrency, rps, backend, server, stats))
    headers = ["N", "database", "check s", "max(N·L/C, N/R) s", "ratio", "ratio to ⌈N/C⌉·L"]
    extra = ["beside stats s", "ratio beside stats", "stats reads by then"] if stats else []
    return table([*headers, "RSS MB", *extra], rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--latency", type=float, default=0.1, help="upstream latency L in seconds")
    parser.add_argument("--concurrency", type=int, default=8, help="POLL_CONCURRENCY (C)")
    parser.add_argument("--rps", type=float, default=100.0, help="USEAPI_MAX_RPS (R)")
    parser.add_argument(
        "--no-stats", dest="stats", action="store_false", help="no job statistics reads"
    )
    backend_option(parser)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    setup = f"L = {args.latency * 1000:.0f} ms, C = {args.concurrency}, R = {args.rps:g}/s"
    print(f"expiry sweep, {setup}")
    backends = chosen_backends(args.backend)
    print(asyncio.run(run(sizes, args.latency, args.concurrency, args.rps, backends, args.stats)))


if __name__ == "__main__":
    main()
