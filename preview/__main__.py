"""`python -m preview [--out FOLDER]`: see docs/preview.md."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from .run import main

DEFAULT_OUT = Path("preview-out")


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m preview",
        description="Run the real bot against loopback stand-ins of Discord and useapi.net "
        "with sample accounts, and write what Discord would show (a text file and a "
        "picture of each answer and alert).",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"the folder to write into (default: {DEFAULT_OUT}/)",
    )
    out = parser.parse_args(argv).out
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"error: --out {out}: cannot make that folder ({exc.strerror})", file=sys.stderr)
        return 2
    return asyncio.run(main(out))


if __name__ == "__main__":
    sys.exit(cli())
