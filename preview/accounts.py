"""The preview's sample accounts: what useapi.net answers for each, and the two weeks of usage
history a bot that had run for a while would have kept of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from minimax_api import DayFigures, Outcome
from testbed.upstream import ms, sample_features
from usage.domain.snapshot import Batch, Pool, Snapshot

HISTORY_DAYS = 14
HISTORY_STEP = timedelta(hours=3)


@dataclass(frozen=True)
class Sample:
    """One account: its credit batches as (credits, hours until they expire) and how many of
    each pool it spends a day."""

    name: str
    about: str
    video: Sequence[tuple[int, float]]
    audio: Sequence[tuple[int, float]] = ()
    video_per_day: float = 0.0
    audio_per_day: float = 0.0

    def features(self, now: datetime) -> dict[str, Any]:
        """The features payload useapi.net answers for the account now."""
        payload = sample_features(
            batches_in_hours=[h for _, h in self.video],
            audio_in_hours=[h for _, h in self.audio] or None,
            total=sum(c for c, _ in self.video),
            now=now,
        )
        for batch, (credits, _) in zip(payload["creditExpireText"], self.video, strict=True):
            batch["credit"] = credits
        soon = sum(c for c, hours in self.video if hours <= 24)
        payload["expireText"] = f"{soon} points will expire within 24 hours" if soon else ""
        if self.audio:
            audio = payload["audio"]
            audio["total_credit"] = sum(c for c, _ in self.audio)
            for sub, (credits, hours) in zip(audio["sub_credits"], self.audio, strict=True):
                sub["credit"] = credits
                sub["record"] = [{"credit": credits, "endTime": ms(now + timedelta(hours=hours))}]
        return payload

    def history(self, now: datetime) -> list[Snapshot]:
        """Every few hours of the last two weeks: the balances as they were, spent at the
        account's pace from its soonest batch of each pool."""
        points = []
        steps = int(timedelta(days=HISTORY_DAYS) / HISTORY_STEP)
        for step in range(steps, 0, -1):
            at = now - step * HISTORY_STEP
            days = (now - at) / timedelta(days=1)
            video = _batches(Pool.VIDEO, self.video, self.video_per_day * days, now)
            audio = _batches(Pool.AUDIO, self.audio, self.audio_per_day * days, now)
            points.append(
                Snapshot(
                    at,
                    sum(b.amount for b in video),
                    sum(b.amount for b in audio),
                    (*video, *audio),
                )
            )
        return points


def _batches(
    pool: Pool, batches: Sequence[tuple[int, float]], spent: float, now: datetime
) -> list[Batch]:
    """The batches as they were before `spent` of them went (from the soonest one)."""
    found = [Batch(pool, float(c), now + timedelta(hours=h)) for c, h in batches]
    if found:
        soonest = min(found, key=lambda b: b.ends_at)
        found[found.index(soonest)] = Batch(pool, round(soonest.amount + spent), soonest.ends_at)
    return found


EXPIRING = Sample(
    "studio",
    "180 video/image credits expire within a day: an expiry alert",
    video=[(180, 20.0), (400, 26 * 24.0)],
    video_per_day=15.0,
)
LOW = Sample(
    "marketing",
    "42 credits left, under its low-balance rule of 100: a low-balance alert",
    video=[(42, 12 * 24.0)],
    video_per_day=6.0,
)
AUDIO = Sample(
    "voice",
    "audio credits besides its video/image ones",
    video=[(250, 40 * 24.0)],
    audio=[(1200, 50 * 24.0)],
    video_per_day=2.0,
    audio_per_day=30.0,
)
SAMPLES = (EXPIRING, LOW, AUDIO)
LOW_BALANCE = 100.0  # the rule `/alerts rules` gives LOW


JOB_DAYS = 6


def sample_jobs(name: str) -> list[DayFigures]:
    """Six days of an account's jobs, newest first: the studio renders most (and runs out of
    credits twice), the voice account's MiniMax session is rejected once."""
    found = []
    for back in range(1, JOB_DAYS + 1):
        if name == "studio":
            ok, failed = 12 + back % 3 * 4, ({412: 2} if back == 2 else {})
            models = {"23200": ok - 4 + sum(failed.values()), "23021": 4}
        elif name == "voice":
            ok, failed = 3 + back % 2, ({596: 1} if back == 4 else {})
            models = {"23000": ok + sum(failed.values())}
        else:
            ok, failed = 5, {}
            models = {"23204": 5}
        outcomes = [Outcome("videos-create", 200, ok, 40_000 * ok, ok)]
        outcomes += [Outcome("videos-create", code, n) for code, n in failed.items()]
        found.append(DayFigures(tuple(outcomes), models))
    return found
