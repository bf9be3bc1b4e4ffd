"""First come, first served across processes: whoever inserts a name first owns it.

Discord delivers every interaction to every gateway session of the shard, so each replica
of the bot sees each one; only the process that claims its id answers it.
"""

from __future__ import annotations

import time

from .base import Database

KEEP_SECONDS = 3600.0  # an interaction token lives 15 minutes; older claims are dropped
PRUNE_EVERY = 256  # claims between two prunes


class Claims:
    def __init__(self, db: Database, holder: str) -> None:
        self.db = db
        self.holder = holder
        self._since_prune = 0

    async def claim(self, name: str) -> bool:
        """True when this process is the first to claim `name`."""
        now = time.time()
        won = await self.db.execute(
            "INSERT INTO claims(id, holder, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            name,
            self.holder,
            now,
        )
        self._since_prune += 1
        if self._since_prune >= PRUNE_EVERY:
            self._since_prune = 0
            await self.prune(now - KEEP_SECONDS)
        return won == 1

    async def prune(self, before: float) -> int:
        return await self.db.execute("DELETE FROM claims WHERE at < $1", before)
