"""Each benchmark script runs from start to end with tiny sizes (the real runs are by hand)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "args",
    [
        ["bench.command_overhead", "--count", "3", "--latency", "0.01", "--inflight", "2"],
        ["bench.sweep", "--sizes", "3", "--latency", "0.01", "--concurrency", "2"],
        ["bench.memory", "--accounts", "5", "--sweeps", "2"],
        ["bench.startup", "--runs", "1"],
    ],
)
async def test_bench_script_prints_a_table(args: list[str]) -> None:
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
    assert "|---" in out.decode()
