"""The one statement that queues a notice in the outbox, shared by the stores that queue
notices in their own transactions."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts.domain.notices import Notice
from state import Queries


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


async def insert_notice(tx: Queries, notice: Notice) -> None:
    """Queue `notice` (nothing when its nonce is queued already)."""
    await tx.execute(
        "INSERT INTO outbox(nonce, account, kind, payload, created_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        notice.nonce,
        notice.account,
        str(notice.kind),
        notice.payload_json(),
        iso(notice.created_at),
    )
