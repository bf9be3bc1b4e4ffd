"""Shared set-up for the benchmarks: loopback servers, the bot process, the database it keeps
its state in (SQLite or a throw-away PostgreSQL), and small statistics."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import aiohttp

from testbed.databases import BACKENDS
from testbed.discord_stub import DiscordStub
from testbed.postgres import PostgresServer, PostgresUnavailable
from testbed.process import DISCORD_TOKEN, BotProcess, base_env
from testbed.upstream import TOKEN, FakeUseapi, Seen


class RemoteUseapi:
    """The loopback useapi.net in a process of its own, so that serving it does not compete
    with the Discord stand-in for the benchmark's event loop."""

    def __init__(self, latency: float, accounts: int) -> None:
        self.latency, self.accounts = latency, accounts
        self.token = TOKEN
        self.port = 0
        self.proc: asyncio.subprocess.Process | None = None
        self.requests: list[Seen] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "testbed.upstream",
            "--latency", str(self.latency), "--accounts", str(self.accounts),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert self.proc.stdout is not None
        self.port = int((await self.proc.stdout.readline()).decode())

    async def fetch_requests(self) -> None:
        async with (
            aiohttp.ClientSession() as s,
            s.get(f"http://127.0.0.1:{self.port}/_requests") as r,
        ):
            self.requests = [Seen(**row) for row in await r.json()]

    def feature_calls(self, account: str | None = None) -> list[Seen]:
        return [r for r in self.requests if r.query.get("account") == account]

    async def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            await self.proc.wait()


def backend_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        choices=[*BACKENDS, "both"],
        default="both",
        help="the bot's DATABASE_URL: an SQLite file, a throw-away PostgreSQL, or both in turn",
    )


def chosen_backends(option: str) -> list[str]:
    return list(BACKENDS) if option == "both" else [option]


@asynccontextmanager
async def postgres_for(backends: Sequence[str]) -> AsyncIterator[PostgresServer | None]:
    """One throw-away PostgreSQL cluster (testbed/postgres.py: in RAM where it can be,
    fsync off) for the whole benchmark when it runs on PostgreSQL; None otherwise."""
    if "postgresql" not in backends:
        yield None
        return
    server = PostgresServer()
    try:
        await asyncio.to_thread(server.start)
    except PostgresUnavailable as exc:
        raise SystemExit(f"PostgreSQL unavailable: {exc} (or run with --backend sqlite)") from None
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


Upstream = TypeVar("Upstream", FakeUseapi, RemoteUseapi)


@dataclass
class Rig(Generic[Upstream]):
    upstream: Upstream
    stub: DiscordStub
    workdir: Path
    database_url: str

    def bot(self, **env: str) -> BotProcess:
        full = {
            **base_env(self.upstream, self.workdir),
            "DATABASE_URL": self.database_url,
            "LOG_LEVEL": "INFO",
            **env,
        }
        return BotProcess(self.stub, full, self.workdir / "bot.log")


@asynccontextmanager
async def rig(
    upstream: Upstream, *, postgres: PostgresServer | None = None
) -> AsyncIterator[Rig[Upstream]]:
    """`upstream` (not started yet), the Discord stand-in and an empty database: a new
    database on `postgres` when given, else an SQLite file."""
    stub = DiscordStub(DISCORD_TOKEN)
    await upstream.start()
    await stub.start()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        fresh = None
        try:
            if postgres is not None:
                fresh = await asyncio.to_thread(postgres.fresh_database)
            yield Rig(upstream, stub, workdir, fresh or f"sqlite:///{workdir / 'bench.sqlite3'}")
        finally:
            await stub.stop()
            await upstream.stop()
            if postgres is not None and fresh is not None:
                await asyncio.to_thread(postgres.drop_database, fresh)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return (
        statistics.quantiles(ordered, n=100, method="inclusive")[int(p) - 1]
        if p < 100
        else ordered[-1]
    )


def rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process, in MB."""
    fields = dict(
        line.split(":", 1)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if ":" in line
    )
    return (
        int(fields["VmRSS"].split()[0]) / 1024,
        int(fields["VmHWM"].split()[0]) / 1024,
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, ready for docs/performance.md."""
    cells = [list(map(str, headers))] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
