"""`/alerts rules` answers and the rules' lines in `/alerts status`."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from alerts.account_rules import ALL, Effective, Field, Rule, shown
from alerts.rule_store import RuleChange
from minimax_api import UseapiAccount

from . import limits
from .fmt import stamp, subject

LABELS = {
    Field.CHANNEL: "Channel",
    Field.MENTION: "Pings",
    Field.STEPS: "Expiry steps",
    Field.LOW_BALANCE: "Low balance",
    Field.RUNS_OUT_DAYS: "Running out",
}


def who(account: str) -> str:
    return "every account" if account == ALL else subject(account, 80)


def rule_line(rules: Effective) -> str:
    """One line of an account's effective rules, each with where it comes from."""
    return " · ".join(
        f"{LABELS[f].lower()} {shown(f, rules.rule.get(f))} ({rules.sources[f]})"
        for f in Field
        if rules.rule.get(f) is not None
    )


def rules_embed(
    account: str,
    rules: Effective,
    own: Rule | None,
    history: Sequence[RuleChange],
    changed: Sequence[str] = (),
) -> discord.Embed:
    """An account's rules as they apply, what its own rule sets, and the latest changes."""
    lines = []
    if changed:
        lines += ["**Changed:**", *(f"- {line}" for line in changed), ""]
    lines += [f"{LABELS[f]}: {shown(f, rules.rule.get(f))} ({rules.sources[f]})" for f in Field]
    if rules.channel_id is None:
        lines.append("⚠️ No channel: its alerts are not posted (the checks still read it).")
    if own is None:
        lines.append("\nIt has no rule of its own." if account != ALL else "")
    if history:
        lines.append("\n**Latest changes:**")
        lines += [f"- {stamp(c.at)} by <@{c.by}>: {c.change}" for c in history]
    return discord.Embed(
        title=limits.clip(f"Alert rules for {who(account)}", limits.TITLE),
        description=limits.clip("\n".join(lines), limits.DESCRIPTION),
        colour=discord.Colour.blurple(),
    )


def useapi_line(found: UseapiAccount | str) -> str:
    """The useapi.net account: subscription, last renewal, the MiniMax accounts' counts."""
    if isinstance(found, str):
        return f"useapi.net account: could not be read ({limits.safe(found, 200)})"
    active = found.subscription_active
    parts = [
        "subscription unknown"
        if active is None
        else "subscription active"
        if active
        else "⚠️ subscription **not active**"
    ]
    if found.renewed is not None:
        parts.append(f"last renewed {found.renewed.isoformat()}")
    counts = found.minimax
    if counts is not None:
        warn = "⚠️ " if counts.error else ""
        parts.append(
            f"{warn}MiniMax accounts: {counts.total} ({counts.active} active, "
            f"{counts.error} in error)"
        )
    return "useapi.net account: " + " · ".join(parts)
