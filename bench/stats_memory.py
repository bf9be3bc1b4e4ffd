"""Memory of parsing a day of job statistics: a `GET /v2/account/stats` body of N rows (the
loopback useapi.net's, as documented) read by `minimax_api.stats.load_stats`, which folds each
row as it is decoded, against `json.loads` keeping every row (what a naive parser holds).

    .venv/bin/python -m bench.stats_memory [--rows 50000]

Each way runs in a fresh process: "peak RSS" is that process's high-water mark (getrusage),
"over the text" is the peak beyond the process with the body's text read (the same process,
measured before parsing); "traced peak" is tracemalloc's peak of the parse alone.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import table
from minimax_api.stats import load_stats
from testbed.upstream import Job, stats_payload

CODES = ((200, 0.88), (596, 0.06), (412, 0.04), (429, 0.02))


def body(rows: int) -> str:
    """A day of `rows` jobs of one account, mostly successes, over 24 hours."""
    start = datetime(2026, 12, 1, tzinfo=UTC)
    jobs = []
    for code, share in CODES:
        for i in range(round(rows * share)):
            at = start + timedelta(seconds=(len(jobs) * 86_399) // rows)
            jobs.append(Job("123456", at, "hailuo-02", "videos-create", code, 30_000 + i % 997))
    return json.dumps(stats_payload(jobs[:rows], start.date()))


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(path: str, way: str) -> None:
    text = Path(path).read_text()
    before = maxrss_mb()
    tracemalloc.start()
    started = time.perf_counter()
    if way == "load_stats":
        stats = load_stats(text)
        rows = stats.rows
    else:
        rows = len(json.loads(text)["data"])
    seconds = time.perf_counter() - started
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({"rows": rows, "before": before, "peak": maxrss_mb(), "traced": traced,
                      "seconds": seconds}))  # fmt: skip


def measure(rows: int) -> str:
    text = body(rows)
    out = []
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        file.write(text)
        file.flush()
        for way in ("load_stats", "json.loads"):
            found = subprocess.run(
                [sys.executable, "-m", "bench.stats_memory", "--child", file.name, way],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(found.stdout)
            assert r["rows"] == rows
            out.append(
                [
                    way,
                    rows,
                    f"{len(text) / 2**20:.1f}",
                    f"{r['peak']:.0f}",
                    f"{r['peak'] - r['before']:.0f}",
                    f"{r['traced'] / 2**20:.1f}",
                    f"{r['seconds'] * 1000:.0f}",
                ]
            )
    headers = ["parser", "rows", "body MiB", "peak RSS MB", "over the text MB", "traced MiB"]
    return table([*headers, "ms"], out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--child", nargs=2, metavar=("PATH", "WAY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"job statistics, one day of {args.rows} rows")
    print(measure(args.rows))


if __name__ == "__main__":
    main()
