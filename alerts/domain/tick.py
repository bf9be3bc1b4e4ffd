"""One check in progress (`Tick`), shared by the modules that do its parts, and what it reports
(`CheckReport`). The tick reads each account's rules from its book at most once per check."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from alerts.domain.account_rules import Effective, RuleBook
from alerts.domain.notices import TOKEN_SUBJECT
from alerts.domain.silences import Ack
from minimax_api import AccountInfo, UseapiError
from usage.domain.snapshot import Snapshot


@dataclass
class Tick:
    """One check in progress: its time, its report, and the accounts listing read alongside
    the accounts (or why it could not be read)."""

    now: datetime
    report: CheckReport
    listing: asyncio.Future[dict[str, AccountInfo] | UseapiError]
    book: RuleBook
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    snoozed: frozenset[str] = frozenset()  # accounts the team said "not now" of
    acked: tuple[Ack, ...] = ()  # batches the team said "we know" of
    conditions: dict[str, dict[str, int]] = field(default_factory=dict)  # since, epoch ms
    _rules: dict[str, Effective] = field(default_factory=dict)

    def rules(self, account: str) -> Effective:
        if (found := self._rules.get(account)) is None:
            found = self._rules[account] = self.book.of(account)
        return found

    def alerting(self, account: str) -> bool:
        """Whether `account`'s alerts go anywhere (and it is not snoozed)."""
        return self.rules(account).channel_id is not None and account not in self.snoozed


@dataclass(frozen=True)
class Posted:
    """What one delivery posted: Discord messages, and the alerts in them (one message may
    carry several)."""

    messages: int = 0
    alerts: int = 0

    def __add__(self, other: Posted) -> Posted:
        return Posted(self.messages + other.messages, self.alerts + other.alerts)


@dataclass
class CheckReport:
    accounts: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    queued: int = 0
    posted: Posted = field(default_factory=Posted)
    finished_at: datetime | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """useapi.net could be read: no token-wide failure, and not every account failed."""
        if TOKEN_SUBJECT in self.failed:
            return False
        return not self.accounts or len(self.failed) < len(self.accounts)

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "at": self.finished_at.isoformat() if self.finished_at else None,
            "seconds": round(self.seconds, 3),
            "accounts": len(self.accounts),
            "failed": len(self.failed),
        }
