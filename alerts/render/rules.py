"""`/alerts rules` answers and the rules' lines in `/alerts status`."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from alerts.domain.account_rules import (
    ALL,
    BUILT_IN,
    FALLBACK,
    ROLES,
    SETTINGS,
    Change,
    Effective,
    Field,
    Rule,
)
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
    Field.LOW_AUDIO: "Low audio balance",
    Field.RUNS_OUT_DAYS: "Running out",
    Field.FAILURE_RATE: "Job failures",
    Field.FAILURE_MIN_JOBS: "Over the last",
    Field.ESCALATE_AFTER: "Escalates after",
    Field.ESCALATE_TO: "Escalates to",
    Field.ESCALATE_REPEAT: "Escalation repeats",
}
OWN = "this account's rule"
SERVER_DEFAULT = "the rule for all accounts"
"""The sources `Effective.sources` names (alerts/domain/account_rules.py), besides the
settings' names, BUILT_IN, FALLBACK and "not set"."""


def waited(seconds: float) -> str:
    """ "20 s", "30 min", "2 h", "1 d 12 h"."""
    left, parts = round(seconds), []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if left >= size:
            parts.append(f"{left // size} {unit}")
            left %= size
    return " ".join(parts) or f"{seconds:g} s"


def shown(field: Field, value: object) -> str:
    """A field's value as people read it (a mention here pings nobody: the answers that
    show it allow no mentions)."""
    if value is None:
        return "not set"
    if field is Field.CHANNEL:
        return f"<#{value}>"
    if field in ROLES:
        return f"<@&{value}>" if value else "none"
    if isinstance(value, tuple):
        return ", ".join(f"{h:g}" for h in value) + " h"
    assert isinstance(value, float | int)
    if field is Field.FAILURE_MIN_JOBS:
        return f"{value:g} jobs"
    if field is Field.ESCALATE_REPEAT:
        return "no more: one follow-up" if value == 0 else f"at most {value:g} more times"
    if field is Field.ESCALATE_AFTER:
        return waited(value)
    if value == 0:
        return "off"
    if field is Field.FAILURE_RATE:
        return f"below {value:g} % succeeded"
    if field is Field.LOW_BALANCE:
        return f"below {value:g} video/image credits"
    if field is Field.LOW_AUDIO:
        return f"below {value:g} audio credits"
    return f"within {value:g} days"


def change_line(change: Change) -> str:
    """ "steps: 72, 24 h → 48 h"."""
    return f"{change.field}: {shown(change.field, change.old)} → {shown(change.field, change.new)}"


def source_words(source: str, account: str) -> str:
    """Where a field's value comes from, in the words of `/alerts rules`: this rule, the
    server default (the rule for all accounts), the settings (and which), the default."""
    if source == SERVER_DEFAULT:
        return "this rule, the server default" if account == ALL else "the server default"
    if source == OWN:
        return source
    if source in SETTINGS.values():
        return f"the settings ({source})"
    return source if source in (BUILT_IN, FALLBACK) else "not set"


def _setting(rules: Effective, field: Field, account: str) -> str:
    value, source = rules.rule.get(field), rules.sources[field]
    if source == "not set":
        return "off" if field in _OFF_WHEN_UNSET else shown(field, value)
    return f"{shown(field, value)} ({source_words(source, account)})"


_OFF_WHEN_UNSET = frozenset(
    {
        Field.LOW_BALANCE,
        Field.LOW_AUDIO,
        Field.RUNS_OUT_DAYS,
        Field.FAILURE_RATE,
        Field.ESCALATE_AFTER,
        Field.ESCALATE_TO,
    }
)
"""The alerts (and the escalation) a field left unset everywhere turns off."""


def who(account: str) -> str:
    return "every account" if account == ALL else subject(account, 80)


def rule_line(rules: Effective) -> str:
    """One line of an account's effective rules, each with where it comes from."""
    return " · ".join(
        f"{LABELS[f].lower()} {shown(f, rules.rule.get(f))} ({_briefly(rules.sources[f])})"
        for f in Field
        if rules.rule.get(f) is not None
    )


def _briefly(source: str) -> str:
    return "the server default" if source == SERVER_DEFAULT else source


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
    lines += [f"{LABELS[f]}: {_setting(rules, f, account)}" for f in Field]
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
    if (rules.escalate_after is None) != (rules.escalate_to is None):
        lines.append(
            "⚠️ Nothing escalates: an alert escalates with both escalate_after and a role in "
            "escalate_to."
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
