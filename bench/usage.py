"""Usage: the /usage chart's render time, and /usage end to end through the real bot process,
with 90 days of one account's history in SQLite and in PostgreSQL.

    .venv/bin/python -m bench.usage [--renders 50] [--count 50] [--days 90]
                                    [--backend sqlite|postgresql|both]

Render: `render_chart` in this process, for `--days` of history kept hourly (every check of
the last 2 days, ~2,250 points for 90 days: denser than the bot keeps) and kept as the bot
keeps it (retention.thin: ~460 points), after one warm-up each. "data" is the outlook (the
pace and forecast the chart shows) and `usage_chart`, which run on the bot's event loop.

End to end: the bot's database gets the account's thinned history before the bot starts;
`/usage days:90` is then injected `--count` times, one at a time. "first" is the deferral,
"final" the edit of the original response, the one that carries the PNG. /usage does not ask
useapi.net, so there is no upstream time to subtract: final is the whole answer. With both
backends, two bots run side by side, each with its own loopback servers and database, and
take turns command by command (ABBA).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import (
    Rig,
    backend_option,
    chosen_backends,
    percentile,
    postgres_for,
    rig,
    table,
)
from state import open_database, parse_database_url
from testbed.databases import BACKEND_NAMES
from testbed.discord_stub import DiscordStub, Injected
from testbed.upstream import FakeUseapi
from usage.domain.history import History
from usage.domain.outlook import outlook
from usage.domain.retention import HOURLY_AFTER, thin
from usage.domain.snapshot import Batch, Pool, Snapshot
from usage.render.chart import usage_chart
from usage.render.chart_draw import render_chart

STEP = timedelta(minutes=30)
"""How often the history's account was checked (CHECK_INTERVAL_MINUTES' default)."""
CHUNK = 20_000
"""Rows per History.record when seeding: one write each."""


def spending_history(now: datetime, days: int = 90) -> list[Snapshot]:
    """`days` of checks every 30 minutes up to `now`: 15 credits a day spent in working hours,
    the soonest-expiring batch first. A 1,000-credit batch bought before the history starts
    ends in 5 days; 600-credit top-ups every 25 days last 30 days each, and the part of them
    not spent expires (the cliffs in the chart)."""
    start = now - timedelta(days=days)
    ends = {"first": now + timedelta(days=5)}
    left = {"first": 1000.0}
    snaps: list[Snapshot] = []
    for i in range(days * 48 + 1):
        at = start + i * STEP
        if i % (25 * 48) == 2 * 48:
            left[f"top-up {i}"], ends[f"top-up {i}"] = 600.0, at + timedelta(days=30)
        left = {k: v for k, v in left.items() if ends[k] > at}
        if 9 <= at.hour < 17:
            burn = 15 / 16
            for key in sorted(left, key=ends.__getitem__):
                taken = min(burn, left[key])
                left[key] -= taken
                burn -= taken
        batches = tuple(Batch(Pool.VIDEO, round(v, 2), ends[k]) for k, v in left.items())
        snaps.append(Snapshot(at, round(sum(b.amount for b in batches), 2), 0.0, batches))
    return snaps


def hourly(history: Sequence[Snapshot], now: datetime) -> list[Snapshot]:
    """Every snapshot of the last 2 days and the last of each hour before: what thinning
    would keep if it never went to one a day."""
    kept: dict[object, Snapshot] = {}
    for i, s in enumerate(sorted(history, key=lambda s: s.at)):
        recent = s.at >= now - HOURLY_AFTER
        kept[("all", i) if recent else ("hour", int(s.at.timestamp()) // 3600)] = s
    return sorted(kept.values(), key=lambda s: s.at)


def kept_history(now: datetime, days: int = 90) -> list[Snapshot]:
    """The history the bot keeps of `days` of checks: thinned as it ages."""
    return thin(spending_history(now, days), now)


async def seed(database_url: str, histories: dict[str, Sequence[Snapshot]]) -> int:
    """Write the histories to the bot's database (before the bot starts), CHUNK rows a write;
    returns how many rows."""
    rows = [(account, s) for account, history in histories.items() for s in history]
    db = await open_database(parse_database_url(database_url))
    try:
        history = History(db)
        for i in range(0, len(rows), CHUNK):
            await history.record(rows[i : i + CHUNK])
    finally:
        await db.close()
    return len(rows)


# --- render, in process -------------------------------------------------------------------


def render_rows(renders: int, days: int) -> list[list[object]]:
    now = datetime.now(UTC)
    dense = spending_history(now, days)
    rows = []
    for name, history in (("hourly", hourly(dense, now)), ("thinned", thin(dense, now))):
        build: list[float] = []
        draw: list[float] = []
        png = b""
        for i in range(renders + 1):
            started = time.perf_counter()
            data = usage_chart(
                history,
                Pool.VIDEO,
                outlook(history, Pool.VIDEO, now, timedelta(days=7)),
                now,
                title="Usage · acct0",
                since=now - timedelta(days=days),
            )
            built = time.perf_counter()
            png = render_chart(data)
            done = time.perf_counter()
            if i:  # the first is the warm-up: fonts loaded, code paths hot
                build.append((built - started) * 1000)
                draw.append((done - built) * 1000)
        rows.append(
            [
                f"{days} days, {name}",
                len(history),
                renders,
                f"{percentile(build, 50):.1f}",
                f"{percentile(draw, 50):.1f}",
                f"{percentile(draw, 99):.1f}",
                f"{len(png) / 1024:.0f}",
            ]
        )
    return rows


# --- /usage end to end --------------------------------------------------------------------


def answer_of(item: Injected) -> Any:
    """The edit of the original response (the final answer), once it has arrived."""
    edits = [c for c in item.calls if c.method == "PATCH" and "/webhooks/" in c.path]
    return edits[0] if edits else None


async def usage_once(stub: DiscordStub, options: dict[str, Any], log: str = "") -> Injected:
    """One /usage, waited for until its answer; the answer must carry the chart."""
    item = await stub.inject("usage", options)
    await stub.wait_for(lambda: answer_of(item), within=120)
    attachments = answer_of(item).body.get("attachments") or []
    if not any(a.get("content_type") == "image/png" for a in attachments):
        raise SystemExit(f"/usage {options} answered without a chart: {answer_of(item).body}{log}")
    return item


def usage_row(backend: str, points: int, done: list[Injected]) -> list[object]:
    first = [(i.calls[0].at - i.at) * 1000 for i in done]
    final = [(answer_of(i).at - i.at) * 1000 for i in done]
    png = [a["size"] for i in done for a in answer_of(i).body["attachments"]]
    return [
        BACKEND_NAMES[backend],
        points,
        len(done),
        f"{percentile(first, 50):.1f}",
        f"{percentile(first, 99):.1f}",
        f"{percentile(final, 50):.1f}",
        f"{percentile(final, 99):.1f}",
        f"{sorted(png)[len(png) // 2] / 1024:.0f}",
    ]


async def usage_rows(count: int, days: int, backends: list[str]) -> list[list[object]]:
    history = kept_history(datetime.now(UTC), days)
    options = {"days": 90}
    async with postgres_for(backends) as postgres, AsyncExitStack() as stack:
        rigs: dict[str, Rig[FakeUseapi]] = {}
        for b in backends:
            server = postgres if b == "postgresql" else None
            rigs[b] = await stack.enter_async_context(rig(FakeUseapi(), postgres=server))
            await seed(rigs[b].database_url, {"acct0": history})
        env = {"USEAPI_ACCOUNTS": "acct0", "USEAPI_MAX_RPS": "100000"}
        done = await take_turns(rigs, env, options, count)
    return [usage_row(b, len(history), done[b]) for b in backends]


async def take_turns(
    rigs: dict[str, Rig[FakeUseapi]], env: dict[str, str], options: dict[str, Any], count: int
) -> dict[str, list[Injected]]:
    """A bot per rig with `env`; after a warm-up each, `count` times /usage with `options`
    on each, the backends taking turns (ABBA)."""
    backends = list(rigs)
    bots = {b: r.bot(**env) for b, r in rigs.items()}
    done: dict[str, list[Injected]] = {b: [] for b in backends}
    try:
        for bot in bots.values():
            await bot.start()
        for b, r in rigs.items():
            await usage_once(r.stub, options, "\n" + bots[b].log())  # warm-up
        for i in range(count):
            for b in backends if i % 2 == 0 else backends[::-1]:
                done[b].append(await usage_once(rigs[b].stub, options))
    finally:
        for bot in bots.values():
            if bot.proc is not None:
                await bot.stop()
    return done


async def run(renders: int, count: int, days: int, backends: list[str]) -> str:
    rendered = table(
        ["history", "points", "n", "data p50 ms", "render p50 ms", "render p99 ms", "PNG KB"],
        render_rows(renders, days),
    )
    answered = table(
        [
            "database",
            "points",
            "n",
            "first p50 ms",
            "first p99 ms",
            "final p50 ms",
            "final p99 ms",
            "PNG KB",
        ],
        await usage_rows(count, days, backends),
    )
    return (
        f"chart render, in process\n{rendered}\n\n"
        f"/usage days:90 end to end, {days} days of thinned history\n{answered}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--renders", type=int, default=50, help="charts rendered in process")
    parser.add_argument("--count", type=int, default=50, help="/usage commands per backend")
    parser.add_argument("--days", type=int, default=90, help="days of history")
    backend_option(parser)
    args = parser.parse_args()
    backends = chosen_backends(args.backend)
    print(asyncio.run(run(args.renders, args.count, args.days, backends)))


if __name__ == "__main__":
    main()
