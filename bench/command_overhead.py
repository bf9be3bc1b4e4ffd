"""Command overhead: /credits from injection to the bot's first and final response, minus L.

    .venv/bin/python -m bench.command_overhead [--count 200] [--latency 0.05] [--inflight 20]

"first" is the deferral (Discord's 3-second clock stops there); "final" is the answer.
Uncached commands name a new account each time, so every one costs one upstream round trip
of L seconds, which is subtracted; cached ones repeat an account read moments before.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench.common import Rig, percentile, rig, table
from tests.support.discord_stub import Injected


async def one(rig_: Rig, account: str) -> tuple[str, Injected]:
    item = await rig_.stub.inject("credits", {"account": account})
    await rig_.stub.wait_for(item.final_messages, within=30)
    return account, item


def upstream_time(r: Rig, account: str) -> float:
    """How long the loopback useapi.net took for this account's features, L and its jitter."""
    return sum(s.served_in for s in r.upstream.feature_calls(account))


def row(r: Rig, name: str, items: list[tuple[str, Injected]], wall: float) -> list[object]:
    first = [(i.calls[0].at - i.at) * 1000 for _, i in items]
    final = [(i.calls[-1].at - i.at - upstream_time(r, a)) * 1000 for a, i in items]
    return [
        name,
        len(items),
        f"{percentile(first, 50):.1f}",
        f"{percentile(first, 99):.1f}",
        f"{percentile(final, 50):.1f}",
        f"{percentile(final, 99):.1f}",
        f"{len(items) / wall:.0f}",
    ]


async def run(count: int, latency: float, inflight: int) -> str:
    names = [f"acct{i}" for i in range(count * 2 + 1)]
    cases: list[tuple[str, list[tuple[str, Injected]], float]] = []
    async with rig(latency, remote_accounts=len(names)) as r:
        bot = r.bot(USEAPI_ACCOUNTS="acct0", USEAPI_MAX_RPS="100000")
        await bot.start()
        try:
            await one(r, "acct0")  # warm-up; the accounts listing is cached from here on
            fresh = iter(names[1:])

            started = time.perf_counter()
            uncached = [await one(r, next(fresh)) for _ in range(count)]
            cases.append(("uncached, one at a time", uncached, time.perf_counter() - started))

            started = time.perf_counter()
            cached = [await one(r, "acct0") for _ in range(count)]
            # served from the bot's cache: no upstream time to subtract
            cached = [("", item) for _, item in cached]
            cases.append(("cached, one at a time", cached, time.perf_counter() - started))

            gate = asyncio.Semaphore(inflight)

            async def limited(account: str) -> tuple[str, Injected]:
                async with gate:
                    return await one(r, account)

            started = time.perf_counter()
            burst = list(await asyncio.gather(*(limited(next(fresh)) for _ in range(count))))
            cases.append((f"uncached, {inflight} in flight", burst, time.perf_counter() - started))
            await r.upstream.fetch_requests()
        finally:
            await bot.stop()
        rows = [row(r, name, items, wall) for name, items, wall in cases]
    headers = ["case", "n", "first p50 ms", "first p99 ms", "final−L p50 ms", "final−L p99 ms"]
    return table([*headers, "cmd/s"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05, help="upstream latency L in seconds")
    parser.add_argument("--inflight", type=int, default=20)
    args = parser.parse_args()
    print(f"/credits overhead, L = {args.latency * 1000:.0f} ms upstream latency")
    print(asyncio.run(run(args.count, args.latency, args.inflight)))


if __name__ == "__main__":
    main()
