"""Who follows an account: members who get its alerts by direct message as well as the channel
does, one row per (account, member), kept with the server they followed it in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from state import Database, Row, fetch_one
from state.moments import from_epoch, to_epoch

COLUMNS = "account, user_id, guild_id, at, dm_closed_at"


@dataclass(frozen=True)
class Follow:
    account: str
    user_id: int
    guild_id: int
    at: datetime
    dm_closed_at: datetime | None = None  # Discord refused their DM (50007): none until again


def _follow(row: Row) -> Follow:
    account, user_id, guild_id, at, closed = row
    closed_at = from_epoch(closed) if closed is not None else None
    return Follow(account, int(user_id), int(guild_id), from_epoch(at), closed_at)


class Follows:
    """The follows, in whichever database the bot has."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def follow(self, account: str, user_id: int, guild_id: int, at: datetime) -> bool:
        """Follow `account` (again: a follow whose DMs were closed is opened); False when the
        member already followed it with their DMs open."""
        async with self.db.transaction() as tx:
            found = await fetch_one(
                tx,
                "SELECT dm_closed_at FROM follows WHERE account = $1 AND user_id = $2",
                account,
                str(user_id),
            )
            if found is not None and found[0] is None:
                return False
            await tx.execute(
                f"INSERT INTO follows({COLUMNS}) VALUES ($1, $2, $3, $4, NULL) "
                "ON CONFLICT (account, user_id) DO UPDATE SET guild_id = excluded.guild_id, "
                "at = excluded.at, dm_closed_at = NULL",
                account,
                str(user_id),
                str(guild_id),
                to_epoch(at),
            )
        return True

    async def unfollow(self, account: str, user_id: int) -> bool:
        """False when the member did not follow `account`."""
        changed = await self.db.execute(
            "DELETE FROM follows WHERE account = $1 AND user_id = $2", account, str(user_id)
        )
        return changed > 0

    async def followers(self, account: str) -> list[Follow]:
        """Those who get `account`'s alerts by DM: its followers whose DMs are not closed."""
        rows = await self.db.fetch(
            f"SELECT {COLUMNS} FROM follows WHERE account = $1 AND dm_closed_at IS NULL "
            "ORDER BY at, user_id",
            account,
        )
        return [_follow(r) for r in rows]

    async def followed(self, user_id: int) -> list[Follow]:
        """Every follow of one member, closed DMs included."""
        rows = await self.db.fetch(
            f"SELECT {COLUMNS} FROM follows WHERE user_id = $1 ORDER BY account", str(user_id)
        )
        return [_follow(r) for r in rows]

    async def mark_closed(self, user_id: int, at: datetime) -> int:
        """The member's DMs are closed: none of their follows gets a DM until they follow
        again. Returns how many follows that stopped."""
        return await self.db.execute(
            "UPDATE follows SET dm_closed_at = $2 WHERE user_id = $1 AND dm_closed_at IS NULL",
            str(user_id),
            to_epoch(at),
        )

    async def drop(self, user_id: int, guild_id: int) -> int:
        """The member left the server (or cannot be seen there): their follows from it end."""
        return await self.db.execute(
            "DELETE FROM follows WHERE user_id = $1 AND guild_id = $2", str(user_id), str(guild_id)
        )

    async def closed_told(self, user_id: int) -> Sequence[str]:
        """The accounts whose DMs to the member stopped because their DMs are closed, to be
        told now; those follows end (following again starts them), so the member is told once
        even when several processes answer their commands."""
        if not await fetch_one(
            self.db,
            "SELECT 1 FROM follows WHERE user_id = $1 AND dm_closed_at IS NOT NULL",
            str(user_id),
        ):
            return []
        rows = await self.db.fetch(
            "DELETE FROM follows WHERE user_id = $1 AND dm_closed_at IS NOT NULL RETURNING account",
            str(user_id),
        )
        return sorted(r[0] for r in rows)
