"""Small named values the bot keeps (the command-sync hash per target)."""

from __future__ import annotations

from .base import Database, fetch_one


class Meta:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: str) -> str | None:
        row = await fetch_one(self.db, "SELECT value FROM meta WHERE key = $1", key)
        return row[0] if row else None

    async def keys(self, prefix: str) -> list[str]:
        rows = await self.db.fetch(
            "SELECT key FROM meta WHERE substr(key, 1, length(CAST($1 AS TEXT))) = $1 ORDER BY key",
            prefix,
        )
        return [row[0] for row in rows]

    async def set(self, key: str, value: str) -> None:
        await self.db.execute(
            "INSERT INTO meta(key, value) VALUES ($1, $2) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            key,
            value,
        )

    async def delete(self, key: str) -> None:
        await self.db.execute("DELETE FROM meta WHERE key = $1", key)
