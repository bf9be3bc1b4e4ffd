"""Memory: RSS of the bot process idle, after each of several 1,000-account sweeps with 90 days
of history per account in its database, and after rendering 100 /usage charts.

    .venv/bin/python -m bench.memory [--accounts 1000] [--sweeps 8] [--latency 0.01]
                                     [--history-days 90] [--charts 100]

Before the bot starts, every account gets the history the bot keeps of `--history-days` of
checks every 30 minutes (thinned: every check of the last 2 days, one an hour to 14 days,
one a day after; ~460 rows for 90 days) in its SQLite database. The first sweep runs when the
bot is ready (and thins the whole history, as every first check does); the others are
`/alerts check` commands. "check s" is the sweep's own time (/healthz). Then `/usage days:90`
is asked of `--charts` different accounts, one at a time, each answered with a chart.
`--history-days 0 --charts 0` is the run without history.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime

from bench.common import rig, rss_mb, table
from bench.sweep import healthz
from bench.usage import kept_history, seed, usage_once
from testbed.discord_payloads import CHANNEL_ID, MANAGER_PERMISSIONS
from testbed.process import free_port
from testbed.upstream import FakeUseapi, sample_features


async def last_check(port: int, after: str | None) -> dict:
    """The report of the check that finished after the one finished at `after`."""
    while True:
        check = (await healthz(port))["last_check"]
        if isinstance(check, dict) and check["at"] != after:
            return check
        await asyncio.sleep(0.05)


async def run(accounts: int, sweeps: int, latency: float, days: int, charts: int) -> str:
    rows: list[list[object]] = []
    notes = []
    async with rig(FakeUseapi(latency=latency)) as r:
        names = [f"acct{i:04d}" for i in range(accounts)]
        payload = sample_features(batches_in_hours=[500], audio_in_hours=[600])
        for name in names:
            r.upstream.add_account(name, payload)
        idle = r.bot(USEAPI_MAX_RPS="100000")
        await idle.start()
        assert idle.proc is not None
        await asyncio.sleep(1)
        rows.append(["idle, no accounts watched", *(f"{v:.0f}" for v in rss_mb(idle.proc.pid)), ""])
        await idle.stop()

        if days:
            history = kept_history(datetime.now(UTC), days)
            started = time.perf_counter()
            seeded = await seed(r.database_url, dict.fromkeys(names, history))
            notes.append(
                f"history: {len(history)} snapshots × {accounts} accounts = {seeded:,} rows "
                f"({days} days, thinned), written in {time.perf_counter() - started:.1f} s"
            )
        port = free_port()
        bot = r.bot(
            USEAPI_ACCOUNTS=",".join(names),
            ALERT_CHANNEL_ID=str(CHANNEL_ID),
            CHECK_INTERVAL_MINUTES="600",
            USEAPI_MAX_RPS="100000",
            POLL_CONCURRENCY="32",
            HEALTH_PORT=str(port),
            HEALTH_HOST="127.0.0.1",
        )
        await bot.start()
        assert bot.proc is not None
        try:
            check: dict | None = None
            for n in range(1, sweeps + 1):
                if n > 1:
                    item = await r.stub.inject(
                        "alerts", subcommand="check", permissions=MANAGER_PERMISSIONS
                    )
                    await r.stub.wait_for(item.final_messages, within=3600)
                check = await last_check(port, check["at"] if check else None)
                rows.append(
                    [
                        f"after sweep {n} of {accounts} accounts",
                        *(f"{v:.0f}" for v in rss_mb(bot.proc.pid)),
                        f"{check['seconds']:.2f}",
                    ]
                )
            if charts:
                started = time.perf_counter()
                for i in range(charts):
                    await usage_once(r.stub, {"account": names[i % accounts], "days": 90})
                seconds = time.perf_counter() - started
                rows.append(
                    [
                        f"after {charts} /usage charts",
                        *(f"{v:.0f}" for v in rss_mb(bot.proc.pid)),
                        "",
                    ]
                )
                notes.append(f"{charts} /usage charts, one at a time, in {seconds:.1f} s")
        finally:
            await bot.stop()
    return "\n".join([*notes, table(["state", "RSS MB", "peak RSS MB", "check s"], rows)])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--sweeps", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.01)
    parser.add_argument(
        "--history-days", type=int, default=90, help="days of history per account (0: none)"
    )
    parser.add_argument("--charts", type=int, default=100, help="/usage charts after the sweeps")
    args = parser.parse_args()
    print(
        asyncio.run(run(args.accounts, args.sweeps, args.latency, args.history_days, args.charts))
    )


if __name__ == "__main__":
    main()
