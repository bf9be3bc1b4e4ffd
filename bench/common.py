"""Shared set-up for the benchmarks: loopback servers, the bot process, and small statistics."""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.conftest import DISCORD_TOKEN
from tests.e2e.conftest import BotProcess
from tests.support.discord_stub import DiscordStub
from tests.support.upstream import TOKEN, FakeUseapi, Seen


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
            sys.executable, "-m", "tests.support.upstream",
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


@dataclass
class Rig:
    upstream: FakeUseapi
    stub: DiscordStub
    workdir: Path

    def bot(self, **env: str) -> BotProcess:
        full = {
            "DISCORD_TOKEN": DISCORD_TOKEN,
            "USEAPI_TOKEN": self.upstream.token,
            "USEAPI_BASE_URL": self.upstream.base_url,
            "DATABASE_URL": f"sqlite:///{self.workdir / 'bench.sqlite3'}",
            "LOG_LEVEL": "INFO",
            **env,
        }
        return BotProcess(self.stub, full, self.workdir / "bot.log")


@asynccontextmanager
async def rig(latency: float = 0.0, *, remote_accounts: int = 0) -> AsyncIterator[Rig]:
    """Loopback servers; with `remote_accounts`, useapi.net runs in its own process."""
    upstream: Any = (
        RemoteUseapi(latency, remote_accounts) if remote_accounts else FakeUseapi(latency=latency)
    )
    stub = DiscordStub(DISCORD_TOKEN)
    await upstream.start()
    await stub.start()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        try:
            yield Rig(upstream, stub, Path(tmp))
        finally:
            await stub.stop()
            await upstream.stop()


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
    """A Markdown table, ready for the README."""
    cells = [list(map(str, headers))] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
