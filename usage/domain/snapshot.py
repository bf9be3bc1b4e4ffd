"""What one check of an account saw: both pools' totals and the batches that expire, with
the compact JSON the history keeps them in.

Video/image and audio credits are separate pools everywhere; every function that reads
totals takes the `Pool`. All datetimes are timezone-aware.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from minimax_api import CreditBatch, Features
from state.moments import from_epoch, to_epoch

SAME_BATCH = timedelta(minutes=10)
"""End times this close are one batch: upstream's end times wobble by seconds between reads.
The spending maths and the expiry alerts both tell batches apart by it."""


class Pool(StrEnum):
    """Which credits: MiniMax keeps video/image and audio credits apart."""

    VIDEO = "video"  # video and image generation (hailuoai.video)
    AUDIO = "audio"  # minimax.io/audio

    @property
    def words(self) -> str:
        """What people call the pool: "video/image" or "audio"."""
        return "video/image" if self is Pool.VIDEO else "audio"

    @property
    def credits(self) -> str:
        return f"{self.words} credits"


def same_batch(one: datetime, other: datetime) -> bool:
    """Whether two end times are one batch's (within SAME_BATCH of each other)."""
    return abs(one - other) <= SAME_BATCH


def _aware(when: datetime, what: str) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {when!r}")


@dataclass(frozen=True)
class Batch:
    """Credits that expire together: `amount` left of them, gone at `ends_at`."""

    pool: Pool
    amount: float
    ends_at: datetime

    def __post_init__(self) -> None:
        _aware(self.ends_at, "Batch.ends_at")


@dataclass(frozen=True)
class Snapshot:
    """One account's credits as read at `at`: both pools' totals and their batches."""

    at: datetime
    video: float
    audio: float
    batches: tuple[Batch, ...] = ()

    def __post_init__(self) -> None:
        _aware(self.at, "Snapshot.at")

    def total(self, pool: Pool) -> float:
        return self.video if pool is Pool.VIDEO else self.audio

    def batches_of(self, pool: Pool) -> tuple[Batch, ...]:
        return tuple(b for b in self.batches if b.pool == pool)

    def to_json(self) -> dict[str, Any]:
        """A compact JSON-ready dict: times as whole epoch seconds, batches as
        [pool, amount, ends] lists."""
        return {
            "at": to_epoch(self.at),
            "video": _compact(self.video),
            "audio": _compact(self.audio),
            "batches": [
                [b.pool.value, _compact(b.amount), to_epoch(b.ends_at)] for b in self.batches
            ],
        }

    @classmethod
    def from_json(cls, data: Any) -> Snapshot:
        """The inverse of `to_json` (to the second); ValueError when `data` is not one."""
        try:
            return cls(
                at=_from_epoch(data["at"]),
                video=_finite(data["video"]),
                audio=_finite(data["audio"]),
                batches=tuple(
                    Batch(Pool(pool), _finite(amount), _from_epoch(ends))
                    for pool, amount, ends in data["batches"]
                ),
            )
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"not a stored snapshot: {exc!r}") from exc


def in_time_order(history: Iterable[Snapshot]) -> list[Snapshot]:
    return sorted(history, key=lambda s: s.at)


def _from_epoch(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"epoch seconds expected, got {value!r}")
    return from_epoch(value)


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TypeError(f"a finite number expected, got {value!r}")
    return value


def _compact(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def snapshot_of(features: Features) -> Snapshot:
    """The snapshot of one read of an account, taken at `features.fetched_at`.

    A missing total counts as the sum of its batches; batches without an amount or an end
    time are left out (nothing to forecast about them).
    """

    def batches(pool: Pool, raw: Iterable[CreditBatch]) -> list[Batch]:
        return [
            Batch(pool, float(b.credit), b.expires_at)
            for b in raw
            if b.credit is not None and b.expires_at is not None
        ]

    video = batches(Pool.VIDEO, features.credit_batches)
    audio = batches(Pool.AUDIO, features.audio.batches if features.audio else ())
    video_total = features.total_credits
    audio_total = features.audio.total if features.audio else None
    return Snapshot(
        at=features.fetched_at,
        video=float(video_total if video_total is not None else sum(b.amount for b in video)),
        audio=float(audio_total if audio_total is not None else sum(b.amount for b in audio)),
        batches=(*video, *audio),
    )


__all__ = [
    "SAME_BATCH",
    "Batch",
    "Pool",
    "Snapshot",
    "in_time_order",
    "same_batch",
    "snapshot_of",
]
