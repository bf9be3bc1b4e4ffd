"""What each alert message with buttons is about and what the team answered on it: the
message's accounts and what it announced (saved before it is posted), the first answer for
each account, and each member's pick in its menu. A press is judged and done in one
transaction, so that presses on one message, in any process, take turns."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alerts.domain.silences import Ack, Snooze, write_acks, write_snooze
from state import Database, Queries, fetch_one
from state.moments import from_epoch, to_epoch


@dataclass(frozen=True)
class Announced:
    """One batch (or session, or unreadable account) an alert message announced."""

    account: str
    kind: str
    ends_at: datetime | None


@dataclass
class AlertGroup:
    """What one alert message with controls is about: its accounts (one embed each, in
    order), what it announced, and what the team has said of each account since."""

    ref: str
    accounts: list[str]
    announced: list[Announced]
    said: dict[str, str] = field(default_factory=dict)  # account → the line to show
    nonces: list[str] = field(default_factory=list)  # the alert of each embed (older: none)
    resolved: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    """The alerts whose cause ended: nonce → (how, when)."""

    def open_accounts(self) -> list[str]:
        """The accounts nobody has answered for yet and with an alert whose cause has not
        ended, each once."""
        pairs = list(zip(self.nonces, self.accounts, strict=False)) if self.nonces else []
        settled = {a for a in self.accounts if pairs and _all_resolved(a, pairs, self.resolved)}
        return [a for a in dict.fromkeys(self.accounts) if a not in self.said and a not in settled]

    def to_json(self) -> str:
        items = [
            [a.account, a.kind, to_epoch(a.ends_at) if a.ends_at else None] for a in self.announced
        ]
        return json.dumps({"accounts": self.accounts, "announced": items, "nonces": self.nonces})

    @classmethod
    def from_json(
        cls,
        ref: str,
        text: str,
        said: dict[str, str],
        resolved: dict[str, tuple[str, datetime]] | None = None,
    ) -> AlertGroup:
        data = json.loads(text)
        announced = [
            Announced(str(a), str(k), from_epoch(e) if e is not None else None)
            for a, k, e in data.get("announced", [])
        ]
        nonces = [str(n) for n in data.get("nonces", [])]
        return cls(ref, list(data.get("accounts", [])), announced, said, nonces, resolved or {})


def _all_resolved(account: str, pairs: list[tuple[str, str]], resolved: dict[str, Any]) -> bool:
    return all(n in resolved for n, a in pairs if a == account)


class AlertGroups:
    """The alert messages with buttons, in whichever database the bot has."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, group: AlertGroup, now: datetime) -> None:
        """What a message with controls is about (before it is posted: a retry writes the
        same again)."""
        await self.db.execute(
            "INSERT INTO alert_messages(ref, items, created_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (ref) DO UPDATE SET items = excluded.items",
            group.ref,
            group.to_json(),
            to_epoch(now),
        )

    async def get(self, ref: str) -> AlertGroup | None:
        return await _group(self.db, ref)

    async def press(
        self, ref: str, user: int, shown: Sequence[bool] | None, act: Act
    ) -> Pressed | None:
        """One press on the message `ref`, judged and done in one transaction that holds the
        message's row, so that presses on one message (in any process) take turns and each
        sees what the one before it did. None: the bot has no record of the message.

        What the press means: the accounts the presser picked in the menu, if they picked
        them on the view they pressed on, else every account that view shows open (`shown`:
        per embed, whether it shows an answer; None: what the database says). Of those, the
        ones nobody has answered yet get `act`'s answer; the first answer for an account
        stands, and a later press is told who answered it and how."""
        async with self.db.transaction() as tx:
            held = await tx.execute("UPDATE alert_messages SET items = items WHERE ref = $1", ref)
            group = await _group(tx, ref) if held else None
            if group is None:
                return None
            view = (
                group.open_accounts()
                if shown is None
                else list(
                    dict.fromkeys(
                        a for a, said in zip(group.accounts, shown, strict=False) if not said
                    )
                )
            )
            pick = await _pick(tx, ref, user)
            meant = pick[0] if pick is not None and pick[1] == view else view
            meant = [a for a in dict.fromkeys(meant) if a in group.accounts]
            targets = [a for a in meant if a not in group.said]
            already = {a: group.said[a] for a in meant if a in group.said}
            if pick is not None:
                await tx.execute(
                    "DELETE FROM alert_picks WHERE ref = $1 AND user_id = $2", ref, str(user)
                )
            if targets:
                answer = act(group, targets)
                await write_acks(tx, answer.acks)
                for snooze in answer.snoozes:
                    await write_snooze(tx, snooze)
                await tx.executemany(
                    "INSERT INTO alert_answers(ref, account, line) VALUES ($1, $2, $3) "
                    "ON CONFLICT DO NOTHING",
                    [(ref, account, answer.line) for account in targets],
                )
                group.said.update(dict.fromkeys(targets, answer.line))
        return Pressed(group, targets, already)

    async def pick(self, ref: str, user: int, accounts: Sequence[str], view: Sequence[str]) -> bool:
        """Which of the message's accounts `user` chose in its menu, on the view that showed
        `view` open; False when the bot has no record of the message."""
        if await self.get(ref) is None:
            return False
        await self.db.execute(
            "INSERT INTO alert_picks(ref, user_id, accounts) VALUES ($1, $2, $3) "
            "ON CONFLICT (ref, user_id) DO UPDATE SET accounts = excluded.accounts",
            ref,
            str(user),
            json.dumps({"accounts": list(accounts), "view": list(view)}),
        )
        return True

    async def forget_before(self, moment: datetime) -> None:
        refs = "SELECT ref FROM alert_messages WHERE created_at < $1"
        async with self.db.transaction() as tx:
            await tx.execute(f"DELETE FROM alert_picks WHERE ref IN ({refs})", to_epoch(moment))
            await tx.execute(f"DELETE FROM alert_answers WHERE ref IN ({refs})", to_epoch(moment))
            for table in ("alert_resolved", "escalations", "alert_posts"):
                await tx.execute(f"DELETE FROM {table} WHERE ref IN ({refs})", to_epoch(moment))
            await tx.execute("DELETE FROM alert_messages WHERE created_at < $1", to_epoch(moment))


@dataclass(frozen=True)
class Answer:
    """What a press does to the accounts it answers: the line the message shows for them,
    and the acknowledgements and snoozes it stands for."""

    line: str
    acks: Sequence[Ack] = ()
    snoozes: Sequence[Snooze] = ()


Act = Callable[[AlertGroup, list[str]], Answer]


@dataclass(frozen=True)
class Pressed:
    """A press judged: the message's state after it, the accounts it answered (none: every
    account it meant was answered before), and those answered before with what was said."""

    group: AlertGroup
    answered: list[str]
    already: dict[str, str]


async def _group(q: Queries, ref: str) -> AlertGroup | None:
    row = await fetch_one(q, "SELECT items FROM alert_messages WHERE ref = $1", ref)
    if row is None:
        return None
    said = await q.fetch("SELECT account, line FROM alert_answers WHERE ref = $1", ref)
    resolved = await q.fetch("SELECT nonce, line, at FROM alert_resolved WHERE ref = $1", ref)
    return AlertGroup.from_json(
        ref, row[0], {a: line for a, line in said}, {n: (w, from_epoch(t)) for n, w, t in resolved}
    )


async def _pick(q: Queries, ref: str, user: int) -> tuple[list[str], list[str] | None] | None:
    """The accounts `user` picked on the message and the view they picked them on (None for
    a pick kept by an older version, which said no view)."""
    row = await fetch_one(
        q, "SELECT accounts FROM alert_picks WHERE ref = $1 AND user_id = $2", ref, str(user)
    )
    if row is None:
        return None
    data = json.loads(row[0])
    if isinstance(data, list):
        return [str(a) for a in data], None
    return [str(a) for a in data.get("accounts", [])], [str(a) for a in data.get("view", [])]
