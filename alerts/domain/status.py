"""What this process knows of the expiry checks: who leads them and how the last one went.

One object, built in `startup.compose`, written by the checks and the leadership, read by
/healthz and /alerts status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alerts.domain.tick import CheckReport


@dataclass
class AlertStatus:
    enabled: bool
    last_check: CheckReport | None = None
    leading: bool = False
    leader: str | None = None  # the process that checks the accounts, as "host:pid"

    def healthz(self) -> tuple[bool, dict[str, Any]]:
        """The alerts' part of the /healthz answer: (healthy as far as alerts go, details).
        A process that does not lead the checks is healthy on that account; the one that
        leads is once its last check read useapi.net."""
        if not self.enabled:
            return True, {"last_check": "alerts off"}
        details: dict[str, Any] = {"leader": self.leader or "none yet"}
        if not self.leading:
            return True, {**details, "last_check": "checked by the leader"}
        if self.last_check is None:
            return False, {**details, "last_check": "not yet"}
        return self.last_check.ok, {**details, "last_check": self.last_check.as_dict()}
