"""Which expiry alerts are due: pure functions of what expires, the thresholds and the time."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from minimax_api import AccountInfo, Features
from minimax_api.parsing import Number
from state.moments import to_the_second
from usage.domain.snapshot import Pool, same_batch


class ExpiryKind(StrEnum):
    """What expires: a batch of one of the two credit pools, or the MiniMax session."""

    VIDEO = Pool.VIDEO.value
    AUDIO = Pool.AUDIO.value
    SESSION = "session"

    @property
    def pool(self) -> Pool | None:
        """The credit pool a batch of this kind is of (None for the session)."""
        return None if self is ExpiryKind.SESSION else Pool(self.value)


@dataclass(frozen=True, order=True)
class AlertKey:
    """An alert's identity: a new end time is a new batch, so a renewal re-arms by itself."""

    account: str
    kind: ExpiryKind
    ends_at: datetime  # to the second
    threshold: float  # hours


@dataclass(frozen=True)
class Subject:
    """Something that expires: a credit batch (amounts merged per end time) or a session."""

    account: str
    kind: ExpiryKind
    ends_at: datetime
    credit: Number | None = None

    def key(self, threshold: float) -> AlertKey:
        return AlertKey(self.account, self.kind, to_the_second(self.ends_at), threshold)


@dataclass(frozen=True)
class Due:
    subject: Subject
    threshold: float

    @property
    def key(self) -> AlertKey:
        return self.subject.key(self.threshold)


def _batches(
    items: Iterable[tuple[Number | None, datetime | None]],
) -> list[tuple[datetime, Number | None]]:
    """(end time, amount) per batch; end times within SAME_BATCH of a group's earliest are
    one batch, whose amounts add up and whose earliest end time stands for all."""
    groups: list[list[tuple[datetime, Number | None]]] = []
    dated = sorted(((e, c) for c, e in items if e is not None), key=lambda pair: pair[0])
    for ends_at, credit in dated:
        if groups and same_batch(ends_at, groups[-1][0][0]):
            groups[-1].append((ends_at, credit))
        else:
            groups.append([(ends_at, credit)])
    merged = []
    for group in groups:
        credits = [c for _, c in group if c is not None]
        merged.append((group[0][0], sum(credits) if credits else None))
    return merged


def subjects(account: str, features: Features | None, info: AccountInfo | None) -> list[Subject]:
    """Everything of `account` that can expire, one subject per kind and batch."""
    found: dict[ExpiryKind, Iterable[tuple[Number | None, datetime | None]]] = {}
    if features is not None:
        found[ExpiryKind.VIDEO] = [(b.credit, b.expires_at) for b in features.credit_batches]
        if features.audio is not None:
            found[ExpiryKind.AUDIO] = [(b.credit, b.expires_at) for b in features.audio.batches]
    if info is not None and info.session_expires_at is not None:
        found[ExpiryKind.SESSION] = [(None, info.session_expires_at)]
    return [
        Subject(account, kind, ends_at, credit)
        for kind, items in found.items()
        for ends_at, credit in _batches(items)
    ]


def known(key: AlertKey, done: Collection[AlertKey]) -> bool:
    """Whether `key`, or the same alert with an end time within SAME_BATCH, was handled."""
    if key in done:
        return True
    return any(
        (k.account, k.kind, k.threshold) == (key.account, key.kind, key.threshold)
        and same_batch(k.ends_at, key.ends_at)
        for k in done
    )


def crossed(subject: Subject, thresholds: Iterable[float], now: datetime) -> list[float]:
    """Thresholds whose time has come, most severe (smallest) first; none once expired."""
    left = (subject.ends_at - now).total_seconds() / 3600  # hours: no timedelta to overflow
    if left <= 0:
        return []
    return sorted(t for t in thresholds if left <= t)


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
        if not hit or known(subject.key(hit[0]), done):
            continue
        post.append(Due(subject, hit[0]))
        silence.extend(k for t in hit[1:] if not known(k := subject.key(t), done))
    post.sort(key=lambda d: (d.subject.ends_at, d.subject.kind))
    return post, silence
