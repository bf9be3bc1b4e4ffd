"""One schema, two dialects: a fresh SQLite database and a fresh PostgreSQL database, each
migrated by the bot, have the same tables, columns, keys and indexes, and the migration
version each one records says it is fully migrated, in step with the other."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from alerts.domain.account_rules import Rule
from alerts.domain.rule_store import RuleStore
from state import PostgresTarget, SqliteTarget, migrations, open_database

# PostgreSQL support came when SQLite was at version 4: PostgreSQL's migration 1 is SQLite's
# 1-4, and every migration since is one in each list. A migration added to one list only
# breaks this (and, if it changes the schema, the comparison below).
SQLITE_AHEAD_BY = 3
VERSION_TABLE = "schema_version"  # PostgreSQL's record of its version (SQLite: user_version)


@dataclass(frozen=True)
class Column:
    family: str  # SQLite's type affinity of the declared type
    not_null: bool
    default: str | None


@dataclass(frozen=True)
class Index:
    columns: tuple[str, ...]
    unique: bool


@dataclass(frozen=True)
class Table:
    columns: dict[str, Column]
    primary_key: tuple[str, ...]
    indexes: dict[str, Index]  # CREATE INDEX ones, by name
    unique_keys: frozenset[tuple[str, ...]]  # every unique column set, primary key included


def family(declared: str) -> str:
    """SQLite's affinity rules (sqlite.org/datatype3.html, 3.1), which also sort PostgreSQL's
    type names: bigint and integer are INTEGER, double precision is REAL, text is TEXT."""
    name = declared.upper()
    if "INT" in name:
        return "INTEGER"
    if any(word in name for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in name or not name:
        return "BLOB"
    if any(word in name for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def default_text(raw: str | None) -> str | None:
    """A column default as both dialects write a constant: 0, 'x' (PostgreSQL adds ::type)."""
    return None if raw is None else raw.split("::", 1)[0].strip("()")


def sqlite_schema(path: Path) -> tuple[int, dict[str, Table]]:
    """PRAGMA user_version, and every table as SQLite's catalogue describes it."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        tables: dict[str, Table] = {}
        for name in names:
            info = conn.execute(f"PRAGMA table_info({name})").fetchall()
            columns = {
                col: Column(family(kind), bool(not_null or pk), default_text(default))
                for _, col, kind, not_null, default, pk in info
            }
            primary_key = tuple(r[1] for r in sorted(info, key=lambda r: r[5]) if r[5])
            indexes: dict[str, Index] = {}
            unique: set[tuple[str, ...]] = set()
            for _, index, is_unique, origin, _ in conn.execute(f"PRAGMA index_list({name})"):
                cols = tuple(r[2] for r in conn.execute(f"PRAGMA index_info({index})"))
                if is_unique:
                    unique.add(cols)
                if origin == "c":  # made by CREATE INDEX, not by a PRIMARY KEY or UNIQUE
                    indexes[index] = Index(cols, bool(is_unique))
            if primary_key:
                unique.add(primary_key)
            tables[name] = Table(columns, primary_key, indexes, frozenset(unique))
    return version, tables


async def postgres_schema(dsn: str) -> tuple[list[int], dict[str, Table]]:
    """Every version recorded in schema_version, and every table of the public schema as
    PostgreSQL's catalogues describe it."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(f"SELECT version FROM {VERSION_TABLE} ORDER BY version")
        versions = [r["version"] for r in rows]
        columns: dict[str, dict[str, Column]] = {}
        for r in await conn.fetch(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "ORDER BY table_name, ordinal_position"
        ):
            columns.setdefault(r["table_name"], {})[r["column_name"]] = Column(
                family(r["data_type"]), r["is_nullable"] == "NO", default_text(r["column_default"])
            )
        # Every index with its columns in key order; a constraint's index carries its name.
        rows = await conn.fetch(
            "SELECT t.relname AS table_name, i.relname AS index_name, x.indisprimary, "
            "x.indisunique, c.conname IS NOT NULL AS of_constraint, "
            "ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY AS k(num, pos) "
            "      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.num "
            "      ORDER BY k.pos) AS columns "
            "FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public' "
            "LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid"
        )
    finally:
        await conn.close()
    tables: dict[str, Table] = {}
    for name, cols in columns.items():
        mine = [r for r in rows if r["table_name"] == name]
        primary_key = next((tuple(r["columns"]) for r in mine if r["indisprimary"]), ())
        indexes = {
            r["index_name"]: Index(tuple(r["columns"]), r["indisunique"])
            for r in mine
            if not r["of_constraint"]
        }
        unique = frozenset(tuple(r["columns"]) for r in mine if r["indisunique"])
        tables[name] = Table(cols, primary_key, indexes, unique)
    return versions, tables


async def test_sqlite_and_postgresql_have_the_same_schema(
    tmp_path: Path, postgres_url: str
) -> None:
    path = tmp_path / "state.sqlite3"
    for target in (SqliteTarget(path), PostgresTarget(postgres_url)):
        await (await open_database(target)).close()
    sqlite_version, sqlite_tables = sqlite_schema(path)
    postgres_versions, postgres_tables = await postgres_schema(postgres_url)

    assert sqlite_version == len(migrations.SQLITE), "SQLite is fully migrated"
    assert postgres_versions == list(range(1, len(migrations.POSTGRES) + 1)), (
        "PostgreSQL is fully migrated, one row per migration"
    )
    assert sqlite_version - postgres_versions[-1] == SQLITE_AHEAD_BY, (
        "a migration was added to one dialect only"
    )

    del postgres_tables[VERSION_TABLE]
    assert sorted(sqlite_tables) == sorted(postgres_tables)
    for name, table in sqlite_tables.items():
        assert table == postgres_tables[name], f"table {name}"
    # The comparison sees what it compares (an empty description would match too).
    assert sqlite_tables["outbox"].indexes == {"outbox_pending": Index(("created_at",), False)}
    assert sqlite_tables["snapshots"].primary_key == ("account", "at")
    assert sqlite_tables["outbox"].columns["attempts"] == Column("INTEGER", True, "0")
    rules = sqlite_tables["alert_rules"].columns
    assert [rules[c].family for c in ("low_audio", "escalate_after", "escalate_to")] == [
        family("DOUBLE PRECISION"),
        family("DOUBLE PRECISION"),
        family("TEXT"),
    ]


async def test_a_rule_stored_before_the_escalation_fields_reads_back_with_them_unset(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for number, script in enumerate(migrations.SQLITE[:-1], start=1):
            conn.executescript(script)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute(
            "INSERT INTO alert_rules(account, role_id, low_balance, by_user, at) "
            "VALUES ('a', '7', 100, '1', 0)"
        )
        conn.commit()
    db = await open_database(SqliteTarget(path))
    try:
        book = await RuleStore(db).book(Rule())
    finally:
        await db.close()
    assert book.rules == {"a": Rule(role_id=7, low_balance=100.0)}, "low_audio etc. not set"
    assert sqlite_schema(path)[0] == len(migrations.SQLITE)
