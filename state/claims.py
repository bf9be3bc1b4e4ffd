"""First come, first served across processes: whoever inserts a name first owns it.

Discord delivers every interaction to every gateway session of the shard, so each replica
of the bot sees each one; only the process that claims its id answers it.
"""

from __future__ import annotations

import asyncio
import logging
import time

from .base import Database, StoreUnavailable

log = logging.getLogger(__name__)

KEEP_SECONDS = 3600.0  # an interaction token lives 15 minutes; older claims are dropped
PRUNE_EVERY = 256  # claims between two prunes


class Claims:
    def __init__(self, db: Database, holder: str) -> None:
        self.db = db
        self.holder = holder
        self._since_prune = 0
        self._pruning: asyncio.Task[None] | None = None

    async def claim(self, name: str) -> bool:
        """True when this process is the first to claim `name`: one INSERT on the command
        path; the old claims are pruned beside it, not before the answer."""
        now = time.time()
        won = await self.db.fetch(
            "INSERT INTO claims(id, holder, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING "
            "RETURNING id",
            name,
            self.holder,
            now,
        )
        self._since_prune += 1
        if self._since_prune >= PRUNE_EVERY and (self._pruning is None or self._pruning.done()):
            self._since_prune = 0
            self._pruning = asyncio.create_task(self._prune_quietly(now - KEEP_SECONDS))
        return len(won) == 1

    async def _prune_quietly(self, before: float) -> None:
        try:
            await self.prune(before)
        except StoreUnavailable as exc:
            log.info("could not prune old claims (%s); trying again later", exc)
        except Exception:
            log.exception("pruning old claims failed; trying again later")

    async def prune(self, before: float) -> int:
        return await self.db.execute("DELETE FROM claims WHERE at < $1", before)
