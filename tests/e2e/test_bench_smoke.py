"""Each benchmark script runs from start to end with tiny sizes (the real runs are by hand);
the ones that compare databases run on SQLite and on PostgreSQL, and the memory bench seeds
a few days of history and renders charts."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "command",
    [
        "bench.command_overhead --count 3 --latency 0.01 --inflight 2 --backend both",
        "bench.sweep --sizes 3 --latency 0.01 --concurrency 2 --backend both",
        "bench.memory --accounts 5 --sweeps 2 --history-days 5 --charts 2",
        "bench.usage --renders 2 --count 2 --days 5 --backend both",
        "bench.startup --runs 1",
    ],
    ids=lambda command: command.split()[0],
)
async def test_bench_script_prints_a_table(command: str, request: pytest.FixtureRequest) -> None:
    args = command.split()
    both = "both" in args
    if both:
        # Whether PostgreSQL can run here (else skip, or fail under REQUIRE_POSTGRES=1); the
        # benchmark starts a throw-away cluster of its own.
        request.getfixturevalue("postgres_server")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    text = out.decode()
    assert "|---" in text
    if both:
        assert "| SQLite" in text and "| PostgreSQL" in text, text
    if args[0] == "bench.command_overhead":
        assert "| minimal discord.py bot" in text and "| ratio |" in text, text
    if "--charts" in args:
        assert "after 2 /usage charts" in text, text
