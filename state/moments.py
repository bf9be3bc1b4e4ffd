"""A moment inside the program is an aware datetime; these convert it where it is kept: epoch
seconds in the database, the outbox's JSON and Discord's timestamps, epoch milliseconds where
two moments can fall in one second. (useapi.net's epoch values are read in
`minimax_api.parsing`.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_MS = timedelta(milliseconds=1)


def to_epoch(moment: datetime) -> int:
    """Whole epoch seconds (rounded down), exactly: no float in between."""
    return (moment - EPOCH) // _SECOND


def from_epoch(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def to_ms(moment: datetime) -> int:
    return (moment - EPOCH) // _MS


def to_the_second(moment: datetime) -> datetime:
    """`moment` as epoch seconds keep it: in UTC, to the second."""
    return from_epoch(to_epoch(moment))
