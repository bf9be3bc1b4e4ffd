"""The database a test runs on: a new, empty one of each backend, and what a test does when
no PostgreSQL server can run here (skip, or fail under ``REQUIRE_POSTGRES=1``, as in CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from state import DatabaseTarget, PostgresTarget, SqliteTarget

INSTALL_HINT = (
    "install postgresql (apt-get install -y postgresql) or set REQUIRE_POSTGRES=1 "
    "to make this an error"
)


def database_target(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseTarget:
    """A new, empty database of `backend`: a file in tmp_path, or a fresh PostgreSQL database."""
    if backend == "sqlite":
        return SqliteTarget(tmp_path / "state.sqlite3")
    return PostgresTarget(request.getfixturevalue("postgres_url"))


def require_postgres() -> bool:
    return os.environ.get("REQUIRE_POSTGRES", "").strip().lower() in {"1", "true", "yes", "on"}


def unavailable(reason: str) -> None:
    """Fail with ``reason`` under REQUIRE_POSTGRES=1, skip otherwise."""
    if require_postgres():
        pytest.fail(
            f"PostgreSQL is required (REQUIRE_POSTGRES=1) but unavailable: {reason}",
            pytrace=False,
        )
    pytest.skip(f"PostgreSQL unavailable: {reason}; {INSTALL_HINT}")


def wipe(folder: Path) -> None:
    """Delete the bot's SQLite file (and its WAL) in `folder`, as a restart on Heroku does."""
    for path in folder.glob("bot.sqlite3*"):
        path.unlink()
