"""A lease: one holder at a time for a named role, taken over when the holder stops renewing.

The same rule works on one SQLite file and on a shared PostgreSQL: a row per role with its
holder and an expiry, changed only by its holder or once it has expired.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from .base import Database, fetch_one


def this_process() -> str:
    """How leases, /alerts status and /healthz name this process: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def gone(holder: str) -> bool:
    """Whether `holder` names a process of this host that no longer runs (a crash): its
    lease need not be waited out."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True)
class Holder:
    name: str  # "host:pid", as this_process() names it
    expires_at: float


class Lease:
    def __init__(
        self,
        db: Database,
        name: str,
        me: str,
        ttl: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.name = name
        self.me = me
        self.ttl = ttl
        self.clock = clock

    async def acquire(self) -> bool:
        """Take or renew the lease; True while this process holds it."""
        return self.mine(await self.take())

    def mine(self, holder: Holder | None) -> bool:
        return holder is not None and holder.name == self.me

    async def take(self) -> Holder | None:
        """Take or renew the lease; returns who holds it now (this process, when it could).
        A lease held by a process of this host that has died is taken over at once."""
        now = self.clock()
        held = await self.holder()
        if held is not None and held.name != self.me and gone(held.name):
            await self.db.execute(
                "UPDATE leases SET expires_at = $1 WHERE name = $2 AND holder = $3",
                now - 1,
                self.name,
                held.name,
            )
        await self.db.execute(
            "INSERT INTO leases(name, holder, expires_at) VALUES ($1, $2, $3) "
            "ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, "
            "expires_at = excluded.expires_at "
            "WHERE leases.holder = excluded.holder OR leases.expires_at < $4",
            self.name,
            self.me,
            now + self.ttl,
            now,
        )
        return await self.holder()

    async def holder(self) -> Holder | None:
        row = await fetch_one(
            self.db, "SELECT holder, expires_at FROM leases WHERE name = $1", self.name
        )
        return Holder(row[0], float(row[1])) if row else None

    async def release(self) -> None:
        await self.db.execute(
            "DELETE FROM leases WHERE name = $1 AND holder = $2", self.name, self.me
        )
