"""Where the rules per account live, with the log of every change (who, when, what)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from state import Database

from .account_rules import Rule, RuleBook, changes
from .rules import from_epoch, to_epoch

_COLUMNS = "channel_id, role_id, steps, low_balance, runs_out_days"


@dataclass(frozen=True)
class RuleChange:
    account: str
    at: datetime
    by: int  # Discord user id
    change: str


def _id(text: str | None) -> int | None:
    return int(text) if text else None


def _rule(
    channel: str | None, role: str | None, steps: str | None, low: object, days: object
) -> Rule:
    return Rule(
        _id(channel),
        _id(role),
        tuple(float(h) for h in json.loads(steps)) if steps else None,
        None if low is None else float(low),  # type: ignore[arg-type]
        None if days is None else float(days),  # type: ignore[arg-type]
    )


class RuleStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def book(self, defaults: Rule) -> RuleBook:
        """Every rule, over `defaults` (one query)."""
        rows = await self.db.fetch(f"SELECT account, {_COLUMNS} FROM alert_rules")
        return RuleBook(defaults, {a: _rule(*rest) for a, *rest in rows})

    async def get(self, account: str) -> Rule | None:
        rows = await self.db.fetch(
            f"SELECT {_COLUMNS} FROM alert_rules WHERE account = $1", account
        )
        return _rule(*rows[0]) if rows else None

    async def put(self, account: str, rule: Rule | None, by: int, at: datetime) -> list[str]:
        """Make `rule` the account's (None, or a rule that sets nothing: drop it) and log
        what changed; returns the change lines (empty: nothing changed, nothing logged)."""
        async with self.db.transaction() as tx:
            rows = await tx.fetch(f"SELECT {_COLUMNS} FROM alert_rules WHERE account = $1", account)
            before = _rule(*rows[0]) if rows else None
            if rule is not None and not rule.set():
                rule = None
            lines = changes(before, rule)
            if not lines:
                return []
            if rule is None:
                await tx.execute("DELETE FROM alert_rules WHERE account = $1", account)
            else:
                await tx.execute(
                    f"INSERT INTO alert_rules(account, {_COLUMNS}, by_user, at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (account) DO UPDATE SET "
                    "channel_id = excluded.channel_id, role_id = excluded.role_id, "
                    "steps = excluded.steps, low_balance = excluded.low_balance, "
                    "runs_out_days = excluded.runs_out_days, by_user = excluded.by_user, "
                    "at = excluded.at",
                    account,
                    None if rule.channel_id is None else str(rule.channel_id),
                    None if rule.role_id is None else str(rule.role_id),
                    None if rule.steps is None else json.dumps(list(rule.steps)),
                    rule.low_balance,
                    rule.runs_out_days,
                    str(by),
                    to_epoch(at),
                )
            await tx.execute(
                "INSERT INTO alert_rule_changes(account, at, by_user, change) "
                "VALUES ($1, $2, $3, $4)",
                account,
                to_epoch(at),
                str(by),
                "; ".join(lines),
            )
        return lines

    async def changes(self, account: str, limit: int = 5) -> list[RuleChange]:
        """The account's latest rule changes, newest first."""
        rows = await self.db.fetch(
            "SELECT account, at, by_user, change FROM alert_rule_changes WHERE account = $1 "
            "ORDER BY at DESC LIMIT $2",
            account,
            limit,
        )
        return [RuleChange(a, from_epoch(t), int(b), c) for a, t, b, c in rows]
