"""Memory: RSS of the bot process idle, then after each of several 1,000-account sweeps.

    .venv/bin/python -m bench.memory [--accounts 1000] [--sweeps 8] [--latency 0.01]

The first sweep runs when the bot is ready; the others are `/alerts check` commands.
"""

from __future__ import annotations

import argparse
import asyncio

from bench.common import rig, rss_mb, table
from tests.support.discord_stub import CHANNEL_ID
from tests.support.upstream import sample_features


async def run(accounts: int, sweeps: int, latency: float) -> str:
    rows: list[list[object]] = []
    async with rig(latency) as r:
        names = [f"acct{i:04d}" for i in range(accounts)]
        payload = sample_features(batches_in_hours=[500], audio_in_hours=[600])
        for name in names:
            r.upstream.add_account(name, payload)
        idle = r.bot(USEAPI_MAX_RPS="100000")
        await idle.start()
        assert idle.proc is not None
        await asyncio.sleep(1)
        rows.append(["idle, no accounts watched", *(f"{v:.0f}" for v in rss_mb(idle.proc.pid))])
        await idle.stop()

        bot = r.bot(
            USEAPI_ACCOUNTS=",".join(names),
            ALERT_CHANNEL_ID=str(CHANNEL_ID),
            CHECK_INTERVAL_MINUTES="600",
            USEAPI_MAX_RPS="100000",
            POLL_CONCURRENCY="32",
        )
        await bot.start()
        assert bot.proc is not None
        try:
            for n in range(1, sweeps + 1):
                if n > 1:
                    item = await r.stub.inject("alerts", subcommand="check")
                    await r.stub.wait_for(item.final_messages, within=3600)
                else:
                    await r.upstream.wait_for(
                        lambda: len(r.upstream.requests) >= accounts, within=3600
                    )
                    await asyncio.sleep(1)  # the check's database writes finish
                rows.append(
                    [
                        f"after sweep {n} of {accounts} accounts",
                        *(f"{v:.0f}" for v in rss_mb(bot.proc.pid)),
                    ]
                )
        finally:
            await bot.stop()
    return table(["state", "RSS MB", "peak RSS MB"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--sweeps", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.01)
    args = parser.parse_args()
    print(asyncio.run(run(args.accounts, args.sweeps, args.latency)))


if __name__ == "__main__":
    main()
