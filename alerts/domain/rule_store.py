"""Where the rules per account live, with the log of every change (who, when, what)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from alerts.domain.account_rules import Change, Field, Rule, RuleBook, changes, unusable
from state import Database, Row
from state.moments import from_epoch, to_epoch

log = logging.getLogger(__name__)

_FIELDS = (
    "channel_id",
    "role_id",
    "steps",
    "low_balance",
    "runs_out_days",
    "failure_rate",
    "failure_min_jobs",
    "low_audio",
    "escalate_after",
    "escalate_to",
    "escalate_repeat",
)
_COLUMNS = ", ".join(_FIELDS)
_UPSERT = (
    f"INSERT INTO alert_rules(account, {_COLUMNS}, by_user, at) VALUES "
    f"({', '.join(f'${i}' for i in range(1, len(_FIELDS) + 4))}) "
    "ON CONFLICT (account) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in (*_FIELDS, "by_user", "at"))
)


@dataclass(frozen=True)
class RuleChange:
    """One `/alerts rules` that changed something: who, when, each field before and after."""

    account: str
    at: datetime
    by: int  # Discord user id
    fields: tuple[Change, ...]


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def _dumped(found: Sequence[Change]) -> str:
    return json.dumps([[str(c.field), _plain(c.old), _plain(c.new)] for c in found])


def _loaded(text: str) -> tuple[Change, ...]:
    def value(v: object) -> object:
        return tuple(v) if isinstance(v, list) else v

    return tuple(Change(Field(f), value(old), value(new)) for f, old, new in json.loads(text))


def _id(text: str | None) -> int | None:
    return int(text) if text else None


def _number(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _whole(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def _rule(row: Row) -> Rule:
    channel, role, steps, low, days, rate, jobs, audio, after, to, repeat = row
    return Rule(
        _id(channel),
        _id(role),
        tuple(float(h) for h in json.loads(steps)) if steps else None,
        _number(low),
        _number(days),
        _number(rate),
        _whole(jobs),
        _number(audio),
        _number(after),
        _id(to),
        _whole(repeat),
    )


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


def _readable(account: str, row: Row) -> Rule | str:
    """The rule of a row, or why it cannot be used (unreadable, or out of the bounds an older
    version did not check): it is never the end of a check, and setting the account's rule
    again replaces it."""
    try:
        rule = _rule(row)
    except (ValueError, TypeError):
        return "it cannot be read"
    return rule if (why := unusable(rule)) is None else why


class RuleStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._warned: set[tuple[object, ...]] = set()  # each unusable row is logged once

    async def book(self, defaults: Rule) -> RuleBook:
        """Every usable rule, over `defaults` (one query); the others are skipped, each
        logged once, and listed in the book's `unusable`."""
        rows = await self.db.fetch(f"SELECT account, {_COLUMNS} FROM alert_rules")
        rules: dict[str, Rule] = {}
        skipped: dict[str, str] = {}
        for account, *rest in rows:
            found = _readable(account, rest)
            if isinstance(found, Rule):
                rules[account] = found
                continue
            skipped[account] = found
            if (seen := (account, *rest)) not in self._warned:
                self._warned.add(seen)
                log.warning(
                    "the alert rule of %r cannot be used (%s): it goes by the defaults; set "
                    "it again with /alerts rules",
                    account,
                    found,
                )
        return RuleBook(defaults, rules, skipped)

    async def edit(
        self, account: str, change: Callable[[Rule | None], Rule | None], by: int, at: datetime
    ) -> list[Change]:
        """Make `change(current rule)` the account's, in one transaction (None, or a rule
        that sets nothing: drop it), and log what changed; returns the fields changed
        (none: nothing logged). What `change` raises leaves everything as it was."""
        async with self.db.transaction() as tx:
            # one rule edit at a time, in every replica: PostgreSQL holds this row's lock
            # until the commit (SQLite's write transactions are one at a time already)
            await tx.execute(
                "INSERT INTO meta(key, value) VALUES ('alert rules edit', '') "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            )
            rows = await tx.fetch(f"SELECT {_COLUMNS} FROM alert_rules WHERE account = $1", account)
            found = _readable(account, rows[0]) if rows else None
            before = found if isinstance(found, Rule) else None  # an unusable rule is replaced
            rule = change(before)
            if rule is not None and not rule.set():
                rule = None
            found = changes(before, rule)
            if not found:
                return []
            if rule is None:
                await tx.execute("DELETE FROM alert_rules WHERE account = $1", account)
            else:
                await tx.execute(
                    _UPSERT,
                    account,
                    _text(rule.channel_id),
                    _text(rule.role_id),
                    None if rule.steps is None else json.dumps(list(rule.steps)),
                    rule.low_balance,
                    rule.runs_out_days,
                    rule.failure_rate,
                    rule.failure_min_jobs,
                    rule.low_audio,
                    rule.escalate_after,
                    _text(rule.escalate_to),
                    rule.escalate_repeat,
                    str(by),
                    to_epoch(at),
                )
            await tx.execute(
                "INSERT INTO alert_rule_changes(account, at, by_user, change) "
                "VALUES ($1, $2, $3, $4)",
                account,
                to_epoch(at),
                str(by),
                _dumped(found),
            )
        return found

    async def changes(self, account: str, limit: int = 5) -> list[RuleChange]:
        """The account's latest rule changes, newest first."""
        rows = await self.db.fetch(
            "SELECT account, at, by_user, change FROM alert_rule_changes WHERE account = $1 "
            "ORDER BY at DESC LIMIT $2",
            account,
            limit,
        )
        return [RuleChange(a, from_epoch(t), int(b), _loaded(c)) for a, t, b, c in rows]
