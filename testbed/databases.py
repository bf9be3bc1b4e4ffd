"""The databases the bot keeps its state in; the tests and the benchmarks run on each."""

from __future__ import annotations

BACKENDS = ("sqlite", "postgresql")
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
