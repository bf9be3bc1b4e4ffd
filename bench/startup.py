"""Start-up: from starting `python bot.py` to commands synced and the bot ready in Discord.

    .venv/bin/python -m bench.startup [--runs 5]

The first run has an empty database, so it syncs the commands; later runs find them unchanged.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from bench.common import rig, table
from testbed.upstream import FakeUseapi


async def run(runs: int) -> str:
    rows: list[list[object]] = []
    ready_times: list[float] = []
    async with rig(FakeUseapi()) as r:
        r.upstream.add_account("a")
        for n in range(1, runs + 1):
            bot = r.bot(USEAPI_ACCOUNTS="a")
            started = time.monotonic()
            await bot.start()
            ready = time.monotonic() - started
            ready_times.append(ready)
            syncs = [c for c in r.stub.calls if c.method == "PUT" and c.at >= started]
            synced = f"{syncs[-1].at - started:.2f}" if syncs else "not needed"
            rows.append([n, synced, f"{ready:.2f}"])
            await bot.stop()
    rows.append(["median", "", f"{statistics.median(ready_times):.2f}"])
    return table(["run", "commands synced s", "ready s"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    print(asyncio.run(run(parser.parse_args().runs)))


if __name__ == "__main__":
    main()
