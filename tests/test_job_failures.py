"""The job failure alert judged (pure): below the rule's threshold over at least its minimum
of jobs, clear only at the threshold plus the margin, the causes in the alert, the rule's
options and their refusals, and the payload as the outbox keeps it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from alerts.domain.account_rules import (
    ALL,
    BUILT_IN,
    BadRule,
    Field,
    Rule,
    RuleBook,
    proposed,
    unusable,
)
from alerts.domain.conditions import Condition, Judged, job_failures, key, transitions
from alerts.domain.notices import JobFailures, Notice, load_payload
from alerts.domain.port import shared
from alerts.render.messages import notice_embed
from alerts.render.rules import rule_line

K = key(Condition.JOB_FAILURES)
DEFAULTS = Rule(channel_id=1, steps=(72.0,), failure_rate=50.0, failure_min_jobs=10)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def rules(**own: object) -> RuleBook:
    return RuleBook(DEFAULTS, {"a": Rule(**own)} if own else {})  # type: ignore[arg-type]


def judged(ok: int, failed: int, code: int = 596, **own: object) -> Judged:
    return job_failures({200: ok, code: failed}, rules(**own).of("a"))


def test_below_the_threshold_holds_at_the_margin_clears_in_between_nothing() -> None:
    assert K in judged(4, 6).true, "40 % < 50 %"
    assert judged(5, 5).true == {} and judged(5, 5).false == frozenset(), "50 %: in between"
    assert judged(5, 5).false == frozenset() and judged(59, 41).false == frozenset()
    assert judged(6, 4).false == {K}, "60 % = 50 + 10: jobs succeed again"
    said = judged(6, 4).said[K]
    assert isinstance(said, JobFailures) and said.cleared and said.rate == 60.0


def test_the_margin_is_capped_at_100() -> None:
    assert judged(9, 1, failure_rate=95.0).true, "90 % < 95 %"
    assert judged(19, 1, failure_rate=95.0).false == frozenset(), "95 %: not yet 100"
    assert judged(10, 0, failure_rate=95.0).false == {K}, "100 % clears a 95 % rule"


def test_fewer_jobs_than_the_minimum_judge_nothing() -> None:
    assert judged(0, 9) == Judged({}, frozenset()), "9 jobs of 10"
    assert K in judged(0, 3, failure_min_jobs=3).true
    assert judged(0, 0, failure_min_jobs=1) == Judged({}, frozenset())


def test_off_is_false_and_the_default_is_on_at_50_over_10() -> None:
    assert judged(0, 10, failure_rate=0.0).false == {K}
    found = rules().of("a")
    assert (found.failure_rate, found.failure_min_jobs) == (50.0, 10)
    assert found.sources[Field.FAILURE_RATE] == BUILT_IN
    assert "job failures below 50 % succeeded (the default)" in rule_line(found)


def test_an_alert_once_while_it_holds_and_one_clear() -> None:
    first, _ = transitions({}, judged(2, 8))
    assert [k for k, _ in first] == [K]
    assert transitions({K: 1}, judged(1, 9)) == ([], []), "still failing: not again"
    assert transitions({K: 1}, judged(5, 5)) == ([], []), "in between: it still holds"
    assert transitions({K: 1}, judged(8, 2)) == ([], [K])


def test_the_alert_names_the_top_causes_with_what_to_do() -> None:
    payload = job_failures({200: 2, 596: 5, 412: 2, 429: 1}, rules().of("a")).true[K]
    assert isinstance(payload, JobFailures)
    assert payload.failed == ((596, 5), (412, 2), (429, 1))
    notice = Notice("a" * 25, "a", payload, NOW)
    assert shared(notice), "it gets the buttons"
    embed = notice_embed(notice)
    assert embed.title == "Job failures on account a"
    text = embed.description or ""
    assert "Only **20 %** of its last 10 jobs succeeded, below the 50 % of its rule" in text
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if "session rejected" in line)
    assert "(5 jobs): re-add the account at useapi.net" in lines[first]
    assert "out of credits (2 jobs): top up" in lines[first + 1]
    assert "busy (too many jobs at once) (1 job): fewer jobs at once" in lines[first + 2]
    assert "again only after at least 60 %" in text
    assert load_payload("job_failures", notice.payload_json()) == payload
    back = Notice("b" * 25, "a", JobFailures(80.0, 10, 50.0, cleared=True), NOW)
    assert not shared(back), "a recovery has no buttons"
    assert notice_embed(back).title == "Jobs succeed again on account a"


def test_the_options_and_their_refusals() -> None:
    assert proposed(None, failure_rate=30, failure_min_jobs=20) == Rule(
        failure_rate=30, failure_min_jobs=20
    )
    assert proposed(Rule(failure_rate=30), failure_rate=0) == Rule(failure_rate=0)
    for options, said in [
        ({"failure_rate": -1.0}, "failure_rate must be 0 (off) to 100 percent"),
        ({"failure_rate": 101.0}, "failure_rate must be 0 (off) to 100 percent"),
        ({"failure_rate": float("nan")}, "failure_rate must be 0 (off) to 100 percent"),
        ({"failure_min_jobs": 0}, "failure_min_jobs must be 1 to 1000 jobs"),
        ({"failure_min_jobs": 1001}, "failure_min_jobs must be 1 to 1000 jobs"),
    ]:
        with pytest.raises(BadRule, match=re.escape(said)):
            proposed(None, **options)  # type: ignore[arg-type]
    assert unusable(Rule(failure_rate=150.0)) == "a failure rate out of range"
    assert unusable(Rule(failure_min_jobs=0)) == "a number of jobs out of range"
    assert RuleBook(DEFAULTS, {ALL: Rule(failure_rate=0.0)}).of("a").failure_rate is None
