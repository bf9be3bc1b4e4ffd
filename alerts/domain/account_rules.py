"""Rules per account: where its alerts go, whom they ping, when expiry warns, and the balance
alerts. A rule for one account overrides the rule for all accounts, which overrides the
settings (ALERT_CHANNEL_ID, ALERT_MENTION_ROLE_ID, EXPIRY_WARNING_HOURS). Pure."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import StrEnum

from alerts.domain.notices import DIGEST_SUBJECT, TOKEN_SUBJECT, USEAPI_SUBJECT
from settings import MAX_STEP_HOURS, Settings, StepTooLong, parse_steps

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
    RUNS_OUT_DAYS = "runs_out_days"
    FAILURE_RATE = "failure_rate"
    FAILURE_MIN_JOBS = "failure_min_jobs"


ATTRIBUTES = {
    Field.CHANNEL: "channel_id",
    Field.MENTION: "role_id",
    Field.STEPS: "steps",
    Field.LOW_BALANCE: "low_balance",
    Field.RUNS_OUT_DAYS: "runs_out_days",
    Field.FAILURE_RATE: "failure_rate",
    Field.FAILURE_MIN_JOBS: "failure_min_jobs",
}
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
    explicitly off."""

    channel_id: int | None = None
    role_id: int | None = None
    steps: tuple[float, ...] | None = None
    low_balance: float | None = None
    runs_out_days: float | None = None
    failure_rate: float | None = None  # percent
    failure_min_jobs: int | None = None

    def get(self, field: Field) -> object:
        return getattr(self, ATTRIBUTES[field])

    def set(self) -> list[Field]:
        return [f for f in Field if self.get(f) is not None]

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
STEPS_EXAMPLE = "e.g. 72,24,1"


class BadRule(ValueError):
    """An option of `/alerts rules` that cannot be a rule; the message says what can."""


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
    if rule.runs_out_days is not None and not (0 <= rule.runs_out_days <= MAX_DAYS):
        return "a running-out horizon out of range"
    if rule.failure_rate is not None and not (0 <= rule.failure_rate <= 100):
        return "a failure rate out of range"
    if rule.failure_min_jobs is not None and not (
        1 <= rule.failure_min_jobs <= MAX_FAILURE_MIN_JOBS
    ):
        return "a number of jobs out of range"
    return None


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
    reset: bool = False,
) -> Rule | None:
    """The account's rule after `/alerts rules` with these options (None: no rule): `reset`
    drops the current one first, an option given replaces its field."""
    base = None if reset else current
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
    if low_balance is not None and not (0 <= low_balance <= MAX_LOW_BALANCE):
        raise BadRule(f"low_balance must be 0 (off) to {MAX_LOW_BALANCE:.0f} credits, e.g. 100")
    if runs_out_days is not None and not (0 <= runs_out_days <= MAX_DAYS):
        raise BadRule(f"runs_out_days must be 0 (off) to {MAX_DAYS:g} days, e.g. 7")
    if failure_rate is not None and not (0 <= failure_rate <= 100):
        raise BadRule("failure_rate must be 0 (off) to 100 percent, e.g. 50")
    if failure_min_jobs is not None and not (1 <= failure_min_jobs <= MAX_FAILURE_MIN_JOBS):
        raise BadRule(f"failure_min_jobs must be 1 to {MAX_FAILURE_MIN_JOBS} jobs, e.g. 10")
    change = Rule(
        channel_id, role_id, parsed, low_balance, runs_out_days, failure_rate, failure_min_jobs
    )
    if not change.set():
        return base
    return change.over(base or Rule())


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
        return self.rule.role_id

    @property
    def steps(self) -> tuple[float, ...]:
        return self.rule.steps or ()

    @property
    def low_balance(self) -> float | None:
        """The balance below which to alert; None when off."""
        return self.rule.low_balance or None

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
