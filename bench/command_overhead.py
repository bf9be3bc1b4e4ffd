"""Command overhead: /credits from injection to the bot's first and final response, minus L,
with the bot's state in SQLite and in PostgreSQL, against a minimal discord.py bot that does
the same upstream call (bench/minimal_bot.py) in the same run.

    .venv/bin/python -m bench.command_overhead [--count 200] [--latency 0.05] [--inflight 20]
                                               [--backend sqlite|postgresql|both]

"first" is the deferral (Discord's 3-second clock stops there); "final" is the answer.
Uncached commands name a new account each time, so every one costs one upstream round trip
of L seconds, which is subtracted; cached ones repeat an account read moments before.
Every command is first claimed in the database (replicas answer each interaction once) and
/credits reads and records the account's usage history, so the database is on the path.

With both backends, two bots run side by side, each with its own loopback servers and
database, and take turns: command by command one at a time, in half bursts (ABBA) in flight,
so that a busier moment of the machine weighs on both alike. PostgreSQL is a throw-away
local cluster (testbed/postgres.py), reached over TCP. The minimal bot takes its turn
in the uncached one-at-a-time case (it has no cache to measure otherwise), and the ratio of
the real bot's final-L p50 to the minimal bot's is the product's cost.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
    RemoteUseapi,
    Rig,
    backend_option,
    chosen_backends,
    percentile,
    postgres_for,
    rig,
    table,
)
from testbed.databases import BACKEND_NAMES
from testbed.discord_stub import Injected
from testbed.process import BotProcess, base_env

MINIMAL = "minimal"
MINIMAL_BOT = Path(__file__).with_name("minimal_bot.py")
NAMES = {**BACKEND_NAMES, MINIMAL: "minimal discord.py bot"}

Done = tuple[str, Injected]  # the account asked about ("" when cached), and the interaction


@dataclass
class Case:
    """One case's commands on one backend, and the seconds spent on them."""

    name: str
    backend: str
    done: list[Done] = field(default_factory=list)
    wall: float = 0.0
    first: list[float] = field(default_factory=list)  # ms, filled in at the end
    final: list[float] = field(default_factory=list)

    def measure(self, r: Rig[RemoteUseapi]) -> None:
        self.first = [(i.calls[0].at - i.at) * 1000 for _, i in self.done]
        self.final = [(i.calls[-1].at - i.at - upstream_time(r, a)) * 1000 for a, i in self.done]

    def row(self) -> list[object]:
        return [
            self.name,
            NAMES[self.backend],
            len(self.first),
            f"{percentile(self.first, 50):.1f}",
            f"{percentile(self.first, 99):.1f}",
            f"{percentile(self.final, 50):.1f}",
            f"{percentile(self.final, 99):.1f}",
            f"{len(self.first) / self.wall:.0f}",
        ]


async def one(rig_: Rig[RemoteUseapi], account: str) -> Done:
    item = await rig_.stub.inject("credits", {"account": account})
    await rig_.stub.wait_for(item.final_messages, within=30)
    return account, item


def upstream_time(r: Rig[RemoteUseapi], account: str) -> float:
    """How long the loopback useapi.net took for this account's features, L and its jitter."""
    return sum(s.served_in for s in r.upstream.feature_calls(account))


async def timed(case: Case, work: Callable[[], Awaitable[list[Done]]]) -> None:
    started = time.perf_counter()
    case.done += await work()
    case.wall += time.perf_counter() - started


def turns(backends: list[str], n: int) -> list[str]:
    """`n` rounds in which each backend has one turn, the order reversed every other round."""
    return [b for i in range(n) for b in (backends if i % 2 == 0 else backends[::-1])]


async def measure(rigs: dict[str, Rig[RemoteUseapi]], count: int, inflight: int) -> list[Case]:
    """The three cases, the backends taking turns (ABBA) within each; the minimal bot in the
    first."""
    everyone = list(rigs)
    backends = [b for b in everyone if b != MINIMAL]
    fresh = {b: iter(f"acct{i}" for i in range(1, count * 2 + 1)) for b in everyone}

    async def uncached_one(b: str) -> list[Done]:
        return [await one(rigs[b], next(fresh[b]))]

    uncached = {b: Case("uncached, one at a time", b) for b in everyone}
    for b in turns(everyone, count):
        await timed(uncached[b], lambda b=b: uncached_one(b))

    async def cached_one(b: str) -> list[Done]:
        _, item = await one(rigs[b], "acct0")
        return [("", item)]  # served from the bot's cache: no upstream time to subtract

    cached = {b: Case("cached, one at a time", b) for b in backends}
    for b in turns(backends, count):
        await timed(cached[b], lambda b=b: cached_one(b))

    async def half_burst(b: str) -> list[Done]:
        gate = asyncio.Semaphore(inflight)

        async def limited(account: str) -> Done:
            async with gate:
                return await one(rigs[b], account)

        size = count - len(burst[b].done) if burst[b].done else count // 2
        accounts = [next(fresh[b]) for _ in range(size)]
        return list(await asyncio.gather(*(limited(a) for a in accounts)))

    burst = {b: Case(f"uncached, {inflight} in flight", b) for b in backends}
    for b in turns(backends, 2):
        await timed(burst[b], lambda b=b: half_burst(b))
    return [c for cases in (uncached, cached, burst) for c in cases.values()]


def against_minimal(cases: list[Case]) -> str:
    """The real bot's uncached final-L p50 over the minimal bot's: what the product costs."""
    uncached = {c.backend: c for c in cases if c.name.startswith("uncached, one")}
    floor = percentile(uncached[MINIMAL].final, 50)
    rows = []
    for b, c in uncached.items():
        if b != MINIMAL:
            p50 = percentile(c.final, 50)
            rows.append([NAMES[b], f"{p50:.1f}", f"{floor:.1f}", f"{p50 / floor:.2f}"])
    headers = ["database", "final−L p50 ms", "minimal bot final−L p50 ms", "ratio"]
    return table(headers, rows)


def comparison(cases: list[Case]) -> str:
    """PostgreSQL minus SQLite, case by case: the cost of the database on the command path."""
    by_name: dict[str, dict[str, Case]] = {}
    for c in cases:
        by_name.setdefault(c.name, {})[c.backend] = c
    rows = []
    for name, pair in by_name.items():
        lite, pg = pair["sqlite"], pair["postgresql"]
        first = percentile(pg.first, 50) - percentile(lite.first, 50)
        final = percentile(pg.final, 50) - percentile(lite.final, 50)
        rows.append(
            [
                name,
                f"{percentile(lite.final, 50):.1f}",
                f"{percentile(pg.final, 50):.1f}",
                f"{final:+.1f}",
                f"{first:+.1f}",
            ]
        )
    headers = [
        "case",
        "final−L p50 SQLite ms",
        "final−L p50 PostgreSQL ms",
        "difference ms",
        "first p50 difference ms",
    ]
    return table(headers, rows)


async def run(count: int, latency: float, inflight: int, backends: list[str]) -> str:
    accounts = count * 2 + 1
    async with postgres_for(backends) as postgres, AsyncExitStack() as stack:
        rigs: dict[str, Rig[RemoteUseapi]] = {}
        for b in backends:
            server = postgres if b == "postgresql" else None
            rigs[b] = await stack.enter_async_context(
                rig(RemoteUseapi(latency, accounts), postgres=server)
            )
        bots = [r.bot(USEAPI_ACCOUNTS="acct0", USEAPI_MAX_RPS="100000") for r in rigs.values()]
        rigs[MINIMAL] = await stack.enter_async_context(rig(RemoteUseapi(latency, accounts)))
        minimal = rigs[MINIMAL]
        env = base_env(minimal.upstream, minimal.workdir)
        bots.append(BotProcess(minimal.stub, env, minimal.workdir / "bot.log", MINIMAL_BOT))
        try:
            for bot in bots:
                await bot.start()
            for r in rigs.values():
                await one(r, "acct0")  # warm-up; the accounts listing is cached from here on
            cases = await measure(rigs, count, inflight)
            for r in rigs.values():
                await r.upstream.fetch_requests()
        finally:
            for bot in bots:
                if bot.proc is not None:
                    await bot.stop()
        for c in cases:
            c.measure(rigs[c.backend])
    headers = ["case", "database", "n", "first p50 ms", "first p99 ms"]
    out = table([*headers, "final−L p50 ms", "final−L p99 ms", "cmd/s"], [c.row() for c in cases])
    out += "\n\nAgainst a minimal discord.py bot (uncached, one at a time)\n"
    out += against_minimal(cases)
    if len(backends) > 1:
        out += "\n\nPostgreSQL − SQLite (p50)\n" + comparison(cases)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05, help="upstream latency L in seconds")
    parser.add_argument("--inflight", type=int, default=20)
    backend_option(parser)
    args = parser.parse_args()
    backends = chosen_backends(args.backend)
    print(f"/credits overhead, L = {args.latency * 1000:.0f} ms upstream latency")
    print(asyncio.run(run(args.count, args.latency, args.inflight, backends)))


if __name__ == "__main__":
    main()
