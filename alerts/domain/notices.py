"""The messages the alert channel gets: typed payloads, stored in the outbox as JSON (where
times are epoch seconds, as every version of the bot wrote them).

One cohesive thing at about 300 lines: each payload kind with its JSON, side by side, so that
a new kind is added in one place and the outbox reads what every version wrote."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from alerts.domain.due import AlertKey, Due, ExpiryKind
from minimax_api.parsing import Number
from state.moments import from_epoch, to_epoch, to_the_second

TOKEN_SUBJECT = "*token*"
"""The account name under which failures of the whole API token are remembered."""
DIGEST_SUBJECT = "*digest*"
"""The account name of digests, which are about every account."""
USEAPI_SUBJECT = "*useapi*"
"""The account name of the useapi.net account's alerts (subscription, accounts in error)."""


class NoticeKind(StrEnum):
    EXPIRY = "expiry"
    UNREADABLE = "unreadable"
    READABLE = "readable"
    REFUSED = "refused"  # ours, in place of a notice Discord refused for good
    DIGEST = "digest"
    RESUMED = "resumed"  # a snooze ended: alerts for the account resume
    LOW_BALANCE = "low_balance"
    RUNNING_OUT = "running_out"
    USEAPI = "useapi"  # the useapi.net account: subscription, MiniMax accounts in error
    STATS_UNREADABLE = "stats_unreadable"  # the job statistics: three runs in a row failed
    STATS_READABLE = "stats_readable"
    JOB_FAILURES = "job_failures"  # too few of an account's last jobs succeed, or again enough
    ESCALATION = "escalation"  # a reply to an alert nobody answered, pinging a role
    RESOLVED = "resolved"  # a reply to an escalated alert whose cause ended


@dataclass(frozen=True)
class ExpiryItem:
    """One batch or session that newly crossed a warning step, and, for credits, what of it
    expires unused at the current pace (None: no pace yet)."""

    kind: ExpiryKind
    credit: Number | None
    ends_at: datetime  # to the second
    threshold: float  # hours
    unused: float | None = None
    per_day: float | None = None

    @classmethod
    def of(cls, due: Due) -> ExpiryItem:
        s = due.subject
        return cls(s.kind, s.credit, to_the_second(s.ends_at), due.threshold)

    def to_json(self) -> dict[str, Any]:
        data = {
            "kind": str(self.kind),
            "credit": self.credit,
            "ends_at": to_epoch(self.ends_at),
            "threshold": self.threshold,
        }
        if self.per_day is not None:
            data.update(unused=self.unused, per_day=self.per_day)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExpiryItem:
        return cls(
            ExpiryKind(data["kind"]),
            data.get("credit"),
            from_epoch(data["ends_at"]),
            data["threshold"],
            data.get("unused"),
            data.get("per_day"),
        )


@dataclass(frozen=True)
class ExpiringSoon:
    """Batches and sessions of one account that newly crossed a warning step."""

    items: tuple[ExpiryItem, ...]

    def to_json(self) -> dict[str, Any]:
        return {"items": [i.to_json() for i in self.items]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExpiringSoon:
        return cls(tuple(ExpiryItem.from_json(i) for i in data.get("items", [])))


@dataclass(frozen=True)
class Unreadable:
    """Three checks in a row failed: the problem's title and what to do."""

    title: str
    advice: str

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "advice": self.advice}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Unreadable:
        return cls(str(data.get("title", "the check failed")), str(data.get("advice", "")))


@dataclass(frozen=True)
class Readable:
    def to_json(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Readable:
        return cls()


@dataclass(frozen=True)
class Replacement:
    """Ours, posted where Discord refused the notice `ref` for good; `reason` is our words."""

    ref: str
    reason: str
    about: NoticeKind

    def to_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "reason": self.reason, "about": str(self.about)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Replacement:
        return cls(str(data["ref"]), str(data["reason"]), NoticeKind(data["about"]))


@dataclass(frozen=True)
class Digest:
    """The digest of one period, from `start` to `until`; its content is read from the usage
    history when it is posted, so it is as fresh as it can be."""

    start: datetime
    until: datetime
    schedule: str

    def to_json(self) -> dict[str, Any]:
        return {
            "start": to_epoch(self.start),
            "until": to_epoch(self.until),
            "schedule": self.schedule,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Digest:
        return cls(from_epoch(data["start"]), from_epoch(data["until"]), str(data["schedule"]))


@dataclass(frozen=True)
class Resumed:
    """The account's snooze (by Discord user `by`, until `until`) is over."""

    until: datetime
    by: int

    def to_json(self) -> dict[str, Any]:
        return {"until": to_epoch(self.until), "by": str(self.by)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Resumed:
        return cls(from_epoch(data["until"]), int(data.get("by") or 0))


@dataclass(frozen=True)
class LowBalance:
    """A pool's balance fell below the account's `low_balance` rule."""

    pool: str
    balance: float
    threshold: float

    def to_json(self) -> dict[str, Any]:
        return {"pool": self.pool, "balance": self.balance, "threshold": self.threshold}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LowBalance:
        return cls(str(data["pool"]), float(data["balance"]), float(data["threshold"]))


@dataclass(frozen=True)
class RunningOut:
    """At the pace (`per_day`), a pool's balance runs out `at`, within the rule's `days`."""

    pool: str
    balance: float
    per_day: float
    at: datetime
    days: float

    def to_json(self) -> dict[str, Any]:
        return {
            "pool": self.pool,
            "balance": self.balance,
            "per_day": self.per_day,
            "at": to_epoch(self.at),
            "days": self.days,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunningOut:
        return cls(
            str(data["pool"]),
            float(data["balance"]),
            float(data["per_day"]),
            from_epoch(data["at"]),
            float(data["days"]),
        )


@dataclass(frozen=True)
class UseapiTrouble:
    """The useapi.net account: `what` is "subscription" (not active) or "account_errors"
    (`errors` of `total` MiniMax accounts in an error state; `total` None when useapi.net
    did not say); `cleared` says it is back to normal."""

    what: str
    cleared: bool = False
    errors: int = 0
    total: int | None = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "cleared": self.cleared,
            "errors": self.errors,
            "total": self.total,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UseapiTrouble:
        return cls(
            str(data["what"]),
            bool(data.get("cleared")),
            int(data.get("errors") or 0),
            None if data.get("total") is None else int(data["total"]),
        )


@dataclass(frozen=True)
class StatsUnreadable:
    """Three runs of job statistics reads in a row had failed reads: the first problem's
    title and what to do, and how many of the last run's `reads` failed."""

    title: str
    advice: str
    failed: int = 0
    reads: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "advice": self.advice,
            "failed": self.failed,
            "reads": self.reads,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StatsUnreadable:
        return cls(
            str(data.get("title", "the statistics could not be read")),
            str(data.get("advice", "")),
            int(data.get("failed") or 0),
            int(data.get("reads") or 0),
        )


@dataclass(frozen=True)
class StatsReadable:
    def to_json(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StatsReadable:
        return cls()


@dataclass(frozen=True)
class JobFailures:
    """Of the account's last `jobs` jobs, `rate` percent succeeded, below the `threshold` of
    its rule; `failed` is the failed jobs by status code, most first. `cleared`: its jobs
    succeed again (at least the threshold and the margin)."""

    rate: float
    jobs: int
    threshold: float
    failed: tuple[tuple[int, int], ...] = ()
    cleared: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "jobs": self.jobs,
            "threshold": self.threshold,
            "failed": [list(f) for f in self.failed],
            "cleared": self.cleared,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobFailures:
        return cls(
            float(data["rate"]),
            int(data["jobs"]),
            float(data["threshold"]),
            tuple((int(c), int(n)) for c, n in data.get("failed") or ()),
            bool(data.get("cleared")),
        )


@dataclass(frozen=True)
class Reply:
    """Where a reply goes: under the alert message `message_id` in `channel_id`, whose ref
    (the message's nonce) is `ref`."""

    ref: str
    channel_id: int
    message_id: int

    def _place(self) -> dict[str, Any]:
        return {"ref": self.ref, "channel": str(self.channel_id), "message": str(self.message_id)}

    @staticmethod
    def _placed(data: dict[str, Any]) -> tuple[str, int, int]:
        return str(data["ref"]), int(data["channel"]), int(data["message"])


@dataclass(frozen=True)
class Escalated(Reply):
    """Nobody answered the alert for `waited` seconds: the `nth` follow-up, pinging `role_id`,
    about `accounts`."""

    accounts: tuple[str, ...] = ()
    role_id: int = 0
    waited: float = 0.0
    nth: int = 1

    def to_json(self) -> dict[str, Any]:
        return {
            **self._place(),
            "accounts": list(self.accounts),
            "role": str(self.role_id),
            "waited": self.waited,
            "nth": self.nth,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Escalated:
        return cls(
            *cls._placed(data),
            tuple(str(a) for a in data.get("accounts", [])),
            int(data.get("role") or 0),
            float(data.get("waited") or 0),
            int(data.get("nth") or 1),
        )


@dataclass(frozen=True)
class ResolvedReply(Reply):
    """The cause of an escalated alert ended: `line` says how (the message says it too)."""

    account: str = ""
    line: str = ""

    def to_json(self) -> dict[str, Any]:
        return {**self._place(), "account": self.account, "line": self.line}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ResolvedReply:
        return cls(*cls._placed(data), str(data.get("account", "")), str(data.get("line", "")))


Payload = (
    ExpiringSoon
    | Unreadable
    | Readable
    | Replacement
    | Digest
    | Resumed
    | LowBalance
    | RunningOut
    | UseapiTrouble
    | StatsUnreadable
    | StatsReadable
    | JobFailures
    | Escalated
    | ResolvedReply
)
PAYLOADS: dict[NoticeKind, type[Payload]] = {
    NoticeKind.EXPIRY: ExpiringSoon,
    NoticeKind.UNREADABLE: Unreadable,
    NoticeKind.READABLE: Readable,
    NoticeKind.REFUSED: Replacement,
    NoticeKind.DIGEST: Digest,
    NoticeKind.RESUMED: Resumed,
    NoticeKind.LOW_BALANCE: LowBalance,
    NoticeKind.RUNNING_OUT: RunningOut,
    NoticeKind.USEAPI: UseapiTrouble,
    NoticeKind.STATS_UNREADABLE: StatsUnreadable,
    NoticeKind.STATS_READABLE: StatsReadable,
    NoticeKind.JOB_FAILURES: JobFailures,
    NoticeKind.ESCALATION: Escalated,
    NoticeKind.RESOLVED: ResolvedReply,
}
KINDS: dict[type[Payload], NoticeKind] = {t: k for k, t in PAYLOADS.items()}


@dataclass(frozen=True)
class Notice:
    """One message for the alert channel, waiting in the outbox until it is sent."""

    nonce: str
    account: str
    payload: Payload
    created_at: datetime
    attempts: int = 0
    refusals: int = 0

    @property
    def kind(self) -> NoticeKind:
        return KINDS[type(self.payload)]

    def payload_json(self) -> str:
        return json.dumps(self.payload.to_json())


def load_payload(kind: str, text: str) -> Payload:
    """The payload of an outbox row, as any version of the bot wrote it."""
    return PAYLOADS[NoticeKind(kind)].from_json(json.loads(text))


def digest_notice(start: datetime, period: timedelta, schedule: str, now: datetime) -> Notice:
    """The digest of the period that began at `start`: one nonce per period, so it is
    queued and posted once whoever queues it and however often."""
    payload = Digest(to_the_second(start), to_the_second(start + period), schedule)
    return Notice(make_nonce("digest", to_epoch(payload.start)), DIGEST_SUBJECT, payload, now)


def expiry_nonce(keys: Iterable[AlertKey]) -> str:
    """The nonce of the notice announcing `keys`: the keys spelled as when their end times
    were epoch seconds (their dataclass repr then), so that the nonce stays what it was."""
    spelled = (
        f"AlertKey(account={k.account!r}, kind={k.kind!r}, ends_at={to_epoch(k.ends_at)}, "
        f"threshold={k.threshold!r})"
        for k in sorted(keys)
    )
    return make_nonce("expiry", *spelled)


def make_nonce(*parts: object) -> str:
    """A Discord nonce (at most 25 characters) derived from the notice's identity."""
    digest = hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()
    return "a" + digest[:24]
