"""DATABASE_URL: which database, and how to show it without its password."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from yarl import URL

SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgres", "postgresql")
FORMS = (
    "sqlite:///relative/path.sqlite3, sqlite:////absolute/path.sqlite3 or "
    "postgresql://user:password@host:5432/dbname"
)


@dataclass(frozen=True)
class SqliteTarget:
    path: Path

    def __str__(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class PostgresTarget:
    dsn: str  # as given, password and query parameters (sslmode, …) included

    def __str__(self) -> str:
        return mask(self.dsn)


DatabaseTarget = SqliteTarget | PostgresTarget


def mask(url: str) -> str:
    """`url` with its password replaced by ***; what cannot be parsed is hidden whole."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return "***"
    if parsed.password is None:
        return url if "@" not in url else "***"
    return str(parsed.with_password("***"))


def parse_database_url(raw: str) -> DatabaseTarget:
    """Raises ValueError with a message that names the accepted forms (and no password)."""
    if raw.startswith(SQLITE_PREFIX) and len(raw) > len(SQLITE_PREFIX):
        return SqliteTarget(Path(raw[len(SQLITE_PREFIX) :]))
    scheme = raw.split("://", 1)[0].lower() if "://" in raw else ""
    if scheme in POSTGRES_SCHEMES:
        try:
            URL(raw)
        except ValueError:
            pass
        else:
            return PostgresTarget(raw)
    shown = f"a {scheme}:// URL" if scheme.isalnum() else "not a URL"  # never the value itself
    raise ValueError(f"DATABASE_URL ({shown}) is not supported: use {FORMS}")
