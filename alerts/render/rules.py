"""`/alerts rules` answers and the rules' lines in `/alerts status`."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from alerts.domain.account_rules import ALL, Change, Effective, Field, Rule
from alerts.domain.rule_store import RuleChange
from alerts.render.names import subject
from chat import limits
from chat.fmt import stamp
from minimax_api import UseapiAccount
from settings import smallest_step

LABELS = {
    Field.CHANNEL: "Channel",
    Field.MENTION: "Pings",
    Field.STEPS: "Expiry steps",
    Field.LOW_BALANCE: "Low balance",
    Field.RUNS_OUT_DAYS: "Running out",
    Field.FAILURE_RATE: "Job failures",
    Field.FAILURE_MIN_JOBS: "Over the last",
}


def shown(field: Field, value: object) -> str:
    """A field's value as people read it (a mention here pings nobody: the answers that
    show it allow no mentions)."""
    if value is None:
        return "not set"
    if field is Field.CHANNEL:
        return f"<#{value}>"
    if field is Field.MENTION:
        return f"<@&{value}>"
    if isinstance(value, tuple):
        return ", ".join(f"{h:g}" for h in value) + " h"
    assert isinstance(value, float | int)
    if field is Field.FAILURE_MIN_JOBS:
        return f"{value:g} jobs"
    if value == 0:
        return "off"
    if field is Field.FAILURE_RATE:
        return f"below {value:g} % succeeded"
    return f"below {value:g} credits" if field is Field.LOW_BALANCE else f"within {value:g} days"


def change_line(change: Change) -> str:
    """ "steps: 72, 24 h → 48 h"."""
    return f"{change.field}: {shown(change.field, change.old)} → {shown(change.field, change.new)}"


def _setting(rules: Effective, field: Field) -> str:
    value, source = rules.rule.get(field), rules.sources[field]
    return shown(field, value) if source == "not set" else f"{shown(field, value)} ({source})"


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
    changed: Sequence[Change] = (),
    *,
    interval_minutes: float | None = None,
    unusable: str | None = None,
) -> discord.Embed:
    """An account's rules as they apply, what its own rule sets, and the latest changes;
    `unusable` says why its stored rule is skipped."""
    lines = []
    if changed:
        lines += ["**Changed:**", *(f"- {change_line(c)}" for c in changed), ""]
    lines += [f"{LABELS[f]}: {_setting(rules, f)}" for f in Field]
    if rules.channel_id is None:
        lines.append("⚠️ No channel: its alerts are not posted (the checks still read it).")
    if (
        rules.steps
        and interval_minutes
        and interval_minutes > (step := smallest_step(rules.steps)) * 60
    ):
        lines.append(
            f"⚠️ The checks run every {interval_minutes:g} minutes, more than the smallest "
            f"step ({step:g} h): a batch can pass that step between two checks unannounced."
        )
    if unusable is not None:
        lines.append(
            f"⚠️ Its stored rule cannot be used ({unusable}): the defaults apply until it is "
            "set again."
        )
    elif own is None and account != ALL:
        lines.append("\nIt has no rule of its own.")
    if history:
        lines.append("\n**Latest changes:**")
        lines += [
            f"- {stamp(c.at)} by <@{c.by}>: " + "; ".join(change_line(f) for f in c.fields)
            for c in history
        ]
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
        total, active, error = (
            "?" if n is None else n for n in (counts.total, counts.active, counts.error)
        )
        parts.append(f"{warn}MiniMax accounts: {total} ({active} active, {error} in error)")
    return "useapi.net account: " + " · ".join(parts)
