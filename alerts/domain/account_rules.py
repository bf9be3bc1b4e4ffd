"""Rules per account: where its alerts go, whom they ping, when expiry warns, the balance
alerts and the escalation of an alert nobody answers. A rule for one account overrides the
rule for all accounts (the server default), which overrides the settings (ALERT_CHANNEL_ID,
ALERT_MENTION_ROLE_ID, EXPIRY_WARNING_HOURS). Pure."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from enum import StrEnum

from alerts.domain.notices import DIGEST_SUBJECT, TOKEN_SUBJECT, USEAPI_SUBJECT
from settings import MAX_STEP_HOURS, Settings, StepTooLong, parse_steps, smallest_step

ALL = "*all*"
"""The account name of the rule for every account."""
TEAM_WIDE = frozenset({TOKEN_SUBJECT, USEAPI_SUBJECT, DIGEST_SUBJECT})
"""What is about every account (the token, the useapi.net account, the digest): it goes
where the rule for all accounts says, or else to the first channel a rule names."""
FALLBACK = "the first channel of a rule (none for all accounts)"


class Field(StrEnum):
    CHANNEL = "channel"
    MENTION = "mention"
    STEPS = "steps"
    LOW_BALANCE = "low_balance"
    LOW_AUDIO = "low_audio"
    RUNS_OUT_DAYS = "runs_out_days"
    FAILURE_RATE = "failure_rate"
    FAILURE_MIN_JOBS = "failure_min_jobs"
    ESCALATE_AFTER = "escalate_after"
    ESCALATE_TO = "escalate_to"
    ESCALATE_REPEAT = "escalate_repeat"


ATTRIBUTES = {
    Field.CHANNEL: "channel_id",
    Field.MENTION: "role_id",
    Field.STEPS: "steps",
    Field.LOW_BALANCE: "low_balance",
    Field.LOW_AUDIO: "low_audio",
    Field.RUNS_OUT_DAYS: "runs_out_days",
    Field.FAILURE_RATE: "failure_rate",
    Field.FAILURE_MIN_JOBS: "failure_min_jobs",
    Field.ESCALATE_AFTER: "escalate_after",
    Field.ESCALATE_TO: "escalate_to",
    Field.ESCALATE_REPEAT: "escalate_repeat",
}
ROLES = frozenset({Field.MENTION, Field.ESCALATE_TO})
"""The fields naming a role; NO_ROLE in them (“none”) pings nobody, over any level below."""
NO_ROLE = 0
SETTINGS = {
    Field.CHANNEL: "ALERT_CHANNEL_ID",
    Field.MENTION: "ALERT_MENTION_ROLE_ID",
    Field.STEPS: "EXPIRY_WARNING_HOURS",
}
"""The setting each field defaults to (the balance alerts have none: off unless a rule)."""
BUILT_IN = "the default"
"""Where a field comes from that no setting and no rule sets (the job failure alert's)."""
FAILURE_RATE = 50.0
"""The job failure alert is on by default: below 50 % of the last FAILURE_MIN_JOBS jobs."""
FAILURE_MIN_JOBS = 10


@dataclass(frozen=True)
class Rule:
    """What a rule sets; None leaves a field to the level below. A balance alert of 0 is
    explicitly off, a role of NO_ROLE (0) pings nobody (for escalate_to: no escalation)."""

    channel_id: int | None = None
    role_id: int | None = None
    steps: tuple[float, ...] | None = None
    low_balance: float | None = None  # video/image credits
    runs_out_days: float | None = None
    failure_rate: float | None = None  # percent
    failure_min_jobs: int | None = None
    low_audio: float | None = None  # audio credits
    escalate_after: float | None = None  # seconds
    escalate_to: int | None = None  # role id
    escalate_repeat: int | None = None  # follow-ups after the first, at most

    def get(self, field: Field) -> object:
        return getattr(self, ATTRIBUTES[field])

    def set(self) -> list[Field]:
        return [f for f in Field if self.get(f) is not None]

    def without(self, unset: Collection[Field]) -> Rule:
        """This rule with the fields `unset` not set (the level below applies to them)."""
        return replace(self, **{ATTRIBUTES[f]: None for f in unset})

    def over(self, below: Rule) -> Rule:
        """This rule's fields where set, `below`'s elsewhere."""
        return replace(
            below, **{f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}
        )


def defaults(settings: Settings) -> Rule:
    """What the settings say for every account, below every rule."""
    return Rule(
        settings.alert_channel_id,
        settings.alert_mention_role_id,
        tuple(settings.expiry_warning_hours),
        failure_rate=FAILURE_RATE,
        failure_min_jobs=FAILURE_MIN_JOBS,
    )


MAX_DAYS = 90.0
MAX_STEPS = 10
MAX_LOW_BALANCE = 1_000_000_000.0
"""More credits than any account holds: a threshold above it means a typo."""
MAX_FAILURE_MIN_JOBS = 1000
MAX_ESCALATE_AFTER = timedelta(days=30)
MAX_ESCALATE_REPEAT = 10
STEPS_EXAMPLE = "e.g. 72,24,1"
ESCALATE_EXAMPLE = "e.g. 30m, 2h or 20s"
OFF = "off"
"""What `escalate_after` takes to be not set."""
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION_PART = re.compile(
    r"(\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|h|days?|d)\b"
)


class BadRule(ValueError):
    """An option of `/alerts rules` that cannot be a rule; the message says what can."""


def parse_after(text: str) -> float:
    """`escalate_after` in seconds: `20s`, `30m`, `2h`, `1d`, `1h 30m`; more than nothing, at
    most 30 days. (The snooze's durations have no seconds: this is not theirs.)"""
    cleaned = text.strip().lower()
    parts = list(_DURATION_PART.finditer(cleaned))
    if not parts or _DURATION_PART.sub("", cleaned).strip(" ,"):
        raise BadRule(f"escalate_after “{text[:40]}” is not a duration: {ESCALATE_EXAMPLE}")
    seconds = sum(float(p[1]) * _DURATION_UNITS[p[2][0]] for p in parts)
    if not 0 < seconds <= MAX_ESCALATE_AFTER.total_seconds():
        raise BadRule(
            f"escalate_after must be more than 0 and at most {MAX_ESCALATE_AFTER.days} days, "
            f"{ESCALATE_EXAMPLE} (off: no escalation)"
        )
    return seconds


def unusable(rule: Rule) -> str | None:
    """Why a rule (stored by an older version, say) cannot be applied; None when it can.
    The same bounds as `proposed`, so that no account check can fail because of its rule."""
    steps = rule.steps or ()
    if any(not (0 < h <= MAX_STEP_HOURS) for h in steps):  # NaN fails too
        return f"a step over {MAX_STEP_HOURS} hours" if any(h > 0 for h in steps) else "a step"
    if len(steps) > MAX_STEPS:
        return f"more than {MAX_STEPS} steps"
    if rule.low_balance is not None and not (0 <= rule.low_balance <= MAX_LOW_BALANCE):
        return "a low balance out of range"
    if rule.low_audio is not None and not (0 <= rule.low_audio <= MAX_LOW_BALANCE):
        return "a low audio balance out of range"
    if rule.runs_out_days is not None and not (0 <= rule.runs_out_days <= MAX_DAYS):
        return "a running-out horizon out of range"
    if rule.failure_rate is not None and not (0 <= rule.failure_rate <= 100):
        return "a failure rate out of range"
    if rule.failure_min_jobs is not None and not (
        1 <= rule.failure_min_jobs <= MAX_FAILURE_MIN_JOBS
    ):
        return "a number of jobs out of range"
    after = rule.escalate_after
    if after is not None and not (0 < after <= MAX_ESCALATE_AFTER.total_seconds()):
        return "an escalation delay out of range"
    if rule.escalate_repeat is not None and not (0 <= rule.escalate_repeat <= MAX_ESCALATE_REPEAT):
        return "an escalation repeat out of range"
    if any(r is not None and r < 0 for r in (rule.role_id, rule.escalate_to)):
        return "a role"
    return None


def interval_problem(steps: tuple[float, ...], interval_minutes: float) -> str | None:
    """Why checks every `interval_minutes` could miss one of `steps` (a step, or the gap
    between two, shorter than the interval), with what would do; None when they cannot."""
    if not steps or (step := smallest_step(steps)) * 60 >= interval_minutes:
        return None
    interval = f"the check interval ({interval_minutes:g} min)"
    least = f"{math.ceil(interval_minutes / 60 * 100) / 100:g}"
    if step == min(steps):
        return (
            f"steps: {step:g} h is shorter than {interval}: it could be missed; use ≥ {least} "
            "or lower CHECK_INTERVAL_MINUTES"
        )
    return (
        f"steps: two are {step:g} h apart, less than {interval}: one could be missed; put them "
        f"≥ {least} h apart or lower CHECK_INTERVAL_MINUTES"
    )


def rule_interval_warnings(book: RuleBook, interval_minutes: float) -> list[str]:
    """At start: each stored rule whose steps checks every CHECK_INTERVAL_MINUTES could miss
    (the settings' own steps are `settings.interval_warnings`)."""
    found = []
    for account, rule in sorted(book.rules.items()):
        if rule.steps and (problem := interval_problem(rule.steps, interval_minutes)):
            whose = "the rule for all accounts" if account == ALL else f"the rule of {account!r}"
            found.append(f"{whose}: {problem}")
    return found


def _conflict(given: Collection[Field], unset: Collection[Field]) -> None:
    if both := [str(f) for f in Field if f in given and f in unset]:
        raise BadRule(f"{', '.join(both)}: given and unset in one command; give it, or unset it")


def proposed(
    current: Rule | None,
    *,
    channel_id: int | None = None,
    role_id: int | None = None,
    steps: str | None = None,
    low_balance: float | None = None,
    runs_out_days: float | None = None,
    failure_rate: float | None = None,
    failure_min_jobs: int | None = None,
    low_audio: float | None = None,
    escalate_after: str | None = None,
    escalate_to: int | None = None,
    escalate_repeat: int | None = None,
    unset: Collection[Field] = (),
    reset: bool = False,
    interval_minutes: float | None = None,
) -> Rule | None:
    """The account's rule after `/alerts rules` with these options (None: no rule): `reset`
    drops the current one first, `unset` (and `escalate_after` "off") leave those fields to
    the level below, an option given replaces its field. Steps that checks every
    `interval_minutes` could miss are refused. A role of NO_ROLE is “none”."""
    base = None if reset else current
    unset = set(unset)
    parsed: tuple[float, ...] | None = None
    if steps is not None:
        try:
            parsed = parse_steps(steps)
        except StepTooLong:
            raise BadRule(
                f"steps: at most {MAX_STEP_HOURS} hours (90 days) each, {STEPS_EXAMPLE}"
            ) from None
        except ValueError:
            raise BadRule(
                f"steps “{steps[:40]}” must be positive hours separated by commas, {STEPS_EXAMPLE}"
            ) from None
        if len(parsed) > MAX_STEPS:
            raise BadRule(f"steps: at most {MAX_STEPS} steps, {STEPS_EXAMPLE}")
        if interval_minutes and (problem := interval_problem(parsed, interval_minutes)):
            raise BadRule(problem)
    for name, value in (("low_balance", low_balance), ("low_audio", low_audio)):
        if value is not None and not (0 <= value <= MAX_LOW_BALANCE):
            raise BadRule(f"{name} must be 0 (off) to {MAX_LOW_BALANCE:.0f} credits, e.g. 100")
    if runs_out_days is not None and not (0 <= runs_out_days <= MAX_DAYS):
        raise BadRule(f"runs_out_days must be 0 (off) to {MAX_DAYS:g} days, e.g. 7")
    if failure_rate is not None and not (0 <= failure_rate <= 100):
        raise BadRule("failure_rate must be 0 (off) to 100 percent, e.g. 50")
    if failure_min_jobs is not None and not (1 <= failure_min_jobs <= MAX_FAILURE_MIN_JOBS):
        raise BadRule(f"failure_min_jobs must be 1 to {MAX_FAILURE_MIN_JOBS} jobs, e.g. 10")
    if escalate_repeat is not None and not (0 <= escalate_repeat <= MAX_ESCALATE_REPEAT):
        raise BadRule(
            f"escalate_repeat must be 0 (one follow-up) to {MAX_ESCALATE_REPEAT} more, e.g. 2"
        )
    after: float | None = None
    if escalate_after is not None and escalate_after.strip().lower() == OFF:
        unset.add(Field.ESCALATE_AFTER)
    elif escalate_after is not None:
        after = parse_after(escalate_after)
    change = Rule(
        channel_id,
        role_id,
        parsed,
        low_balance,
        runs_out_days,
        failure_rate,
        failure_min_jobs,
        low_audio,
        after,
        escalate_to,
        escalate_repeat,
    )
    _conflict(change.set(), unset)
    if not change.set() and not unset:
        return base
    result = change.over((base or Rule()).without(unset))
    return result if result.set() else None


@dataclass(frozen=True)
class Change:
    """One field of a rule, before and after (None: not set)."""

    field: Field
    old: object
    new: object


def changes(before: Rule | None, after: Rule | None) -> list[Change]:
    """What changed from `before` to `after`, field by field."""
    old, new = before or Rule(), after or Rule()
    return [Change(f, old.get(f), new.get(f)) for f in Field if old.get(f) != new.get(f)]


@dataclass(frozen=True)
class Effective:
    """An account's rules as they apply, and where each field comes from."""

    rule: Rule
    sources: Mapping[Field, str]

    @property
    def channel_id(self) -> int | None:
        return self.rule.channel_id

    @property
    def role_id(self) -> int | None:
        """The role its alerts ping; None for none (not set, or set to “none”)."""
        return self.rule.role_id or None

    @property
    def steps(self) -> tuple[float, ...]:
        return self.rule.steps or ()

    @property
    def low_balance(self) -> float | None:
        """The balance below which to alert; None when off."""
        return self.rule.low_balance or None

    @property
    def low_audio(self) -> float | None:
        """The audio balance below which to alert; None when off."""
        return self.rule.low_audio or None

    @property
    def runs_out_days(self) -> float | None:
        return self.rule.runs_out_days or None

    @property
    def failure_rate(self) -> float | None:
        """The success rate (percent) below which to alert; None when off."""
        return self.rule.failure_rate or None

    @property
    def failure_min_jobs(self) -> int:
        return self.rule.failure_min_jobs or FAILURE_MIN_JOBS

    @property
    def escalate_after(self) -> timedelta | None:
        """How long an unanswered alert waits before its follow-up; None: no escalation."""
        after = self.rule.escalate_after
        return timedelta(seconds=after) if after else None

    @property
    def escalate_to(self) -> int | None:
        """The role a follow-up pings; None: not set, or “none” (no escalation)."""
        return self.rule.escalate_to or None

    @property
    def escalate_repeat(self) -> int:
        """Follow-ups after the first, at most (0: the first only)."""
        return self.rule.escalate_repeat or 0


@dataclass(frozen=True)
class RuleBook:
    """Every stored rule over the settings' defaults, read once per check or delivery."""

    defaults: Rule
    rules: Mapping[str, Rule]
    unusable: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Accounts whose stored rule cannot be applied, and why: they go by the levels below."""

    def of(self, account: str) -> Effective:
        """The effective rules of `account` (of every account for ALL, the token and the
        useapi.net account, which have no rule of their own)."""
        levels = [
            ("the settings", self.defaults),
            ("the rule for all accounts", self.rules.get(ALL)),
        ]
        if account != ALL:
            levels.append(("this account's rule", self.rules.get(account)))
        rule = Rule()
        sources: dict[Field, str] = {}
        for name, level in levels:
            if level is None:
                continue
            for field in level.set():
                sources[field] = SETTINGS.get(field, BUILT_IN) if level is self.defaults else name
            rule = level.over(rule)
        if account in TEAM_WIDE and rule.channel_id is None and (found := self.channels()):
            rule = replace(rule, channel_id=min(found))
            sources[Field.CHANNEL] = FALLBACK
        return Effective(rule, {f: sources.get(f, "not set") for f in Field})

    def channels(self) -> set[int]:
        """Every channel some alert may go to."""
        found = {r.channel_id for r in (self.defaults, *self.rules.values())}
        return {c for c in found if c is not None}
