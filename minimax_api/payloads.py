"""Typed, immutable views of useapi.net's MiniMax payloads and the functions that build them.

Every documented field is optional: parsing never raises on a missing field, a null,
a wrong type or an unknown key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import parsing as p
from .model_names import model_name
from .parsing import Number


@dataclass(frozen=True)
class CreditBatch:
    credit: Number | None
    expires_at: datetime | None


@dataclass(frozen=True)
class AudioCredits:
    total: Number | None
    batches: tuple[CreditBatch, ...] = ()


@dataclass(frozen=True)
class ModelInfo:
    model_id: str
    cost: Number | None = None
    members_only: bool | None = None
    free_count: int | None = None
    durations: tuple[str, ...] = ()
    resolutions: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return model_name(self.model_id)


@dataclass(frozen=True)
class Features:
    fetched_at: datetime
    total_credits: Number | None = None
    total_credits_text: str | None = None
    plan_name: str | None = None
    is_paid: bool | None = None
    expire_text: str | None = None
    queue_length: int | None = None
    image_queue_length: int | None = None
    credit_batches: tuple[CreditBatch, ...] = ()
    models: tuple[ModelInfo, ...] = ()
    audio: AudioCredits | None = None

    def active_batches(self, now: datetime) -> tuple[CreditBatch, ...]:
        return unexpired(self.credit_batches, now)

    def active_audio_batches(self, now: datetime) -> tuple[CreditBatch, ...]:
        return unexpired(self.audio.batches, now) if self.audio else ()

    def soonest_expiry(self, now: datetime) -> datetime | None:
        """The earliest future expiry across video/image and audio batches."""
        times = [
            b.expires_at
            for b in (*self.active_batches(now), *self.active_audio_batches(now))
            if b.expires_at is not None
        ]
        return min(times, default=None)


@dataclass(frozen=True)
class AccountInfo:
    account: str
    user_name: str | None = None
    session_expires_at: datetime | None = None
    error: str | None = None
    max_jobs: int | None = None
    support_video: bool | None = None
    support_chat: bool | None = None
    support_audio: bool | None = None  # the older listing called it supportMusic


def unexpired(batches: Iterable[CreditBatch], now: datetime) -> tuple[CreditBatch, ...]:
    """Batches not yet expired, soonest first; a batch without an end time sorts last."""
    far = datetime.max.replace(tzinfo=UTC)
    kept = [b for b in batches if b.expires_at is None or b.expires_at > now]
    return tuple(sorted(kept, key=lambda b: b.expires_at or far))


def _batch(raw: Any, credit_key: str = "credit", time_key: str = "endTime") -> CreditBatch | None:
    data = p.mapping(raw)
    credit, expires = p.number(data.get(credit_key)), p.timestamp(data.get(time_key))
    if credit is None and expires is None:
        return None
    return CreditBatch(credit=credit, expires_at=expires)


def _audio(raw: Any) -> AudioCredits | None:
    if not isinstance(raw, dict):
        return None
    batches: list[CreditBatch] = []
    for sub in p.items(raw.get("sub_credits")):
        sub_data = p.mapping(sub)
        records = [b for r in p.items(sub_data.get("record")) if (b := _batch(r))]
        if records:
            batches.extend(records)
        elif own := _batch(sub_data, "credit", "end_time"):
            batches.append(own)
    return AudioCredits(total=p.number(raw.get("total_credit")), batches=tuple(batches))


def _model(raw: Any) -> ModelInfo | None:
    data = p.mapping(raw)
    model_id = p.text(data.get("modelId"))
    if not model_id:
        return None

    def labels(key: str) -> tuple[str, ...]:
        return tuple(x for v in p.items(data.get(key)) if (x := p.label(v)))

    return ModelInfo(
        model_id=model_id,
        cost=p.number(data.get("videoCost")),
        members_only=p.flag(data.get("isMember")),
        free_count=p.integer(data.get("freeCount")),
        durations=labels("durations"),
        resolutions=labels("resolutions"),
        modes=labels("modes"),
    )


def parse_features(payload: Any, *, fetched_at: datetime | None = None) -> Features:
    data = p.mapping(payload)
    return Features(
        fetched_at=fetched_at or datetime.now(UTC),
        total_credits=p.number(data.get("totalCredits")),
        total_credits_text=p.text(data.get("totalCreditsStr")),
        plan_name=p.text(data.get("memberName")),
        is_paid=p.flag(data.get("isPaidSubscription")),
        expire_text=(p.text(data.get("expireText")) or "").strip() or None,
        queue_length=p.integer(data.get("queueLength")),
        image_queue_length=p.integer(data.get("imageQueueLength")),
        credit_batches=tuple(b for r in p.items(data.get("creditExpireText")) if (b := _batch(r))),
        models=tuple(m for r in p.items(data.get("modelControl")) if (m := _model(r))),
        audio=_audio(data.get("audio")),
    )


def _account(key: str | None, raw: Any) -> AccountInfo | None:
    data = p.mapping(raw)
    account = p.text(data.get("account")) or key
    if not account:
        return None
    jwt = p.mapping(data.get("jwt"))
    user = p.mapping(jwt.get("user"))
    error = data.get("error")
    return AccountInfo(
        account=account,
        user_name=p.text(user.get("name")),
        session_expires_at=p.timestamp(jwt.get("exp")),
        error=(p.text(error) or p.label(error)) if error not in (None, "", False) else None,
        max_jobs=p.integer(data.get("maxJobs")),
        support_video=p.flag(data.get("supportVideo")),
        support_chat=p.flag(data.get("supportChat")),
        support_audio=p.flag(data.get("supportAudio", data.get("supportMusic"))),
    )


def parse_accounts(payload: Any) -> tuple[AccountInfo, ...]:
    """The accounts listing: an object keyed by account id (a list is accepted too)."""
    if isinstance(payload, dict):
        pairs: Iterable[tuple[str | None, Any]] = payload.items()
    else:
        pairs = ((None, v) for v in p.items(payload))
    found = (_account(k if isinstance(k, str) else None, v) for k, v in pairs)
    return tuple(a for a in found if a is not None)


__all__ = [
    "AccountInfo",
    "AudioCredits",
    "CreditBatch",
    "Features",
    "ModelInfo",
    "parse_accounts",
    "parse_features",
    "unexpired",
]
