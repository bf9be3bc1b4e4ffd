"""What this process knows of the expiry checks: who leads them, how the last one went, and
where each kind of alert goes.

One object, built in `startup.compose`, written by the checks and the leadership, read by
/healthz and /alerts status.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from alerts.domain.account_rules import ALL, RuleBook
from alerts.domain.notices import USEAPI_SUBJECT
from alerts.domain.tick import CheckReport


@dataclass(frozen=True)
class Routes:
    """Where each kind of alert goes: the alerts of an account without a channel of its own,
    the channels accounts' own rules name (with how many accounts each), and the team-wide
    alerts (the useapi.net account and token, the digest)."""

    accounts: int | None = None
    own: tuple[tuple[int, int], ...] = ()
    team_wide: int | None = None

    @classmethod
    def of(cls, book: RuleBook) -> Routes:
        every = book.of(ALL).channel_id
        named = Counter(
            rule.channel_id
            for account, rule in book.rules.items()
            if account != ALL and rule.channel_id is not None and rule.channel_id != every
        )
        return cls(every, tuple(sorted(named.items())), book.of(USEAPI_SUBJECT).channel_id)

    @property
    def off(self) -> bool:
        """No alert goes anywhere."""
        return self.accounts is None and not self.own and self.team_wide is None

    def as_dict(self) -> dict[str, Any]:
        """For /healthz: Discord ids as text (JSON numbers cannot hold them exactly)."""
        return {
            "accounts": str(self.accounts) if self.accounts else "none",
            "own_channels": {str(channel): count for channel, count in self.own},
            "team_wide": str(self.team_wide) if self.team_wide else "none",
        }


@dataclass
class AlertStatus:
    routes: Routes = field(default_factory=Routes)
    last_check: CheckReport | None = None
    leading: bool = False
    leader: str | None = None  # the process that checks the accounts, as "host:pid"

    def healthz(self) -> tuple[bool, dict[str, Any]]:
        """The alerts' part of the /healthz answer: (healthy as far as alerts go, details).
        A process that does not lead the checks is healthy on that account; the one that
        leads is once its last check read useapi.net. Alerts that go nowhere are "off"."""
        if self.routes.off:
            return True, {"alerts": "off", "last_check": "alerts off"}
        details: dict[str, Any] = {"alerts": self.routes.as_dict()}
        details["leader"] = self.leader or "none yet"
        if not self.leading:
            return True, {**details, "last_check": "checked by the leader"}
        if self.last_check is None:
            return False, {**details, "last_check": "not yet"}
        return self.last_check.ok, {**details, "last_check": self.last_check.as_dict()}
