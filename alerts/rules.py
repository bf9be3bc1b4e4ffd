"""Which expiry alerts are due: pure functions of what expires, the thresholds and the time."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from minimax_api import AccountInfo, Features
from minimax_api.parsing import Number


class Kind(StrEnum):
    VIDEO = "video"
    AUDIO = "audio"
    SESSION = "session"


@dataclass(frozen=True, order=True)
class AlertKey:
    """An alert's identity: a new end time is a new batch, so a renewal re-arms by itself."""

    account: str
    kind: Kind
    ends_at: int  # epoch seconds
    threshold: float  # hours


@dataclass(frozen=True)
class Subject:
    """Something that expires: a credit batch (amounts merged per end time) or a session."""

    account: str
    kind: Kind
    ends_at: datetime
    credit: Number | None = None

    def key(self, threshold: float) -> AlertKey:
        return AlertKey(self.account, self.kind, int(self.ends_at.timestamp()), threshold)


@dataclass(frozen=True)
class Due:
    subject: Subject
    threshold: float

    @property
    def key(self) -> AlertKey:
        return self.subject.key(self.threshold)


def subjects(account: str, features: Features | None, info: AccountInfo | None) -> list[Subject]:
    """Everything of `account` that can expire, one subject per (kind, end time)."""
    merged: dict[tuple[Kind, datetime], Number | None] = {}

    def add(kind: Kind, batches: Iterable[tuple[Number | None, datetime | None]]) -> None:
        for credit, ends_at in batches:
            if ends_at is None:
                continue
            if (kind, ends_at) in merged:
                merged[(kind, ends_at)] = (merged[(kind, ends_at)] or 0) + (credit or 0)
            else:
                merged[(kind, ends_at)] = credit

    if features is not None:
        add(Kind.VIDEO, ((b.credit, b.expires_at) for b in features.credit_batches))
        if features.audio is not None:
            add(Kind.AUDIO, ((b.credit, b.expires_at) for b in features.audio.batches))
    if info is not None and info.session_expires_at is not None:
        add(Kind.SESSION, [(None, info.session_expires_at)])
    return [Subject(account, kind, ends_at, credit) for (kind, ends_at), credit in merged.items()]


def crossed(subject: Subject, thresholds: Iterable[float], now: datetime) -> list[float]:
    """Thresholds whose time has come, most severe (smallest) first; none once expired."""
    left = subject.ends_at - now
    if left <= timedelta(0):
        return []
    return sorted(t for t in thresholds if left <= timedelta(hours=t))


def plan(
    items: Iterable[Subject],
    thresholds: Iterable[float],
    now: datetime,
    done: Collection[AlertKey],
) -> tuple[list[Due], list[AlertKey]]:
    """What to post now and which keys to mark done without posting.

    For each subject only the most severe crossed threshold is posted, and only if it was not
    posted before; the less severe ones crossed at the same time are marked done silently.
    """
    thresholds = tuple(thresholds)
    post: list[Due] = []
    silence: list[AlertKey] = []
    for subject in items:
        hit = crossed(subject, thresholds, now)
        if not hit or subject.key(hit[0]) in done:
            continue
        post.append(Due(subject, hit[0]))
        silence.extend(k for t in hit[1:] if (k := subject.key(t)) not in done)
    post.sort(key=lambda d: (d.subject.ends_at, d.subject.kind))
    return post, silence
