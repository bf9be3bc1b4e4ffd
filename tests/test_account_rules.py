"""Rules per account: how they stack over the settings, what `/alerts rules` accepts, how
they are stored and logged (both databases), and the conditions they alert on."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from alerts.domain.account_rules import (
    ALL,
    FALLBACK,
    NO_ROLE,
    BadRule,
    Change,
    Field,
    Rule,
    RuleBook,
    changes,
    proposed,
    rule_interval_warnings,
    unusable,
)
from alerts.domain.conditions import (
    Judged,
    balance_conditions,
    gone_pools,
    runs_out_at,
    switched_off,
    transitions,
    useapi_conditions,
)
from alerts.domain.notices import (
    DIGEST_SUBJECT,
    TOKEN_SUBJECT,
    USEAPI_SUBJECT,
    LowBalance,
    RunningOut,
    UseapiTrouble,
)
from alerts.domain.rule_store import RuleStore
from alerts.render.rules import change_line, rule_line, rules_embed
from state import Database
from usage.domain.forecast import forecast
from usage.domain.outlook import Outlook
from usage.domain.pace import Gathering, Pace
from usage.domain.snapshot import Batch, Pool, Snapshot

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
DEFAULTS = Rule(channel_id=1, role_id=None, steps=(72.0, 24.0, 1.0))


def test_a_rule_overrides_the_rule_for_all_which_overrides_the_settings() -> None:
    book = RuleBook(
        DEFAULTS,
        {
            ALL: Rule(role_id=7, low_balance=100.0),
            "b": Rule(channel_id=2, steps=(48.0,), low_balance=0.0),
        },
    )
    a, b = book.of("a"), book.of("b")
    assert (a.channel_id, a.role_id, a.steps, a.low_balance) == (1, 7, (72, 24, 1), 100.0)
    assert a.sources[Field.CHANNEL] == "ALERT_CHANNEL_ID"
    assert a.sources[Field.MENTION] == "the rule for all accounts"
    assert a.sources[Field.RUNS_OUT_DAYS] == "not set"
    assert (b.channel_id, b.role_id, b.steps) == (2, 7, (48.0,))
    assert b.low_balance is None, "0 turns the rule for all off for this account"
    assert b.sources[Field.CHANNEL] == b.sources[Field.LOW_BALANCE] == "this account's rule"
    assert book.of(ALL).channel_id == 1 and book.of(ALL).role_id == 7
    assert book.channels() == {1, 2}


def test_proposed_rules_keep_what_is_not_given_and_reset_drops_the_rest() -> None:
    current = Rule(channel_id=2, steps=(48.0,))
    assert proposed(current, low_balance=50) == Rule(2, None, (48.0,), 50, None)
    assert proposed(current, steps="1, 24,72") == Rule(2, None, (72.0, 24.0, 1.0))
    assert proposed(current) == current
    assert proposed(current, reset=True) is None
    assert proposed(current, reset=True, runs_out_days=7) == Rule(runs_out_days=7)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"steps": "0"}, "steps “0” must be positive hours"),
        ({"steps": "abc"}, "steps “abc” must be positive hours"),
        ({"steps": "24,-1"}, "must be positive hours"),
        ({"steps": ",".join(str(h) for h in range(1, 12))}, "at most 10 steps,"),
        ({"steps": "99999999999"}, "steps: at most 2160 hours (90 days) each"),
        ({"steps": "72,2161"}, "steps: at most 2160 hours (90 days) each"),
        ({"steps": "1e400"}, "must be positive hours"),
        ({"low_balance": -5.0}, "low_balance must be 0 (off) to 1000000000 credits"),
        ({"low_balance": float("nan")}, "low_balance must be 0 (off) to 1000000000 credits"),
        ({"low_balance": 1e300}, "low_balance must be 0 (off) to 1000000000 credits"),
        ({"runs_out_days": 91.0}, "runs_out_days must be 0 (off) to 90 days"),
        ({"runs_out_days": -1.0}, "runs_out_days must be 0 (off) to 90 days"),
    ],
)
def test_bad_options_are_refused_with_what_would_do(options: dict, says: str) -> None:
    with pytest.raises(BadRule, match=None) as caught:
        proposed(None, **options)
    assert says in str(caught.value)


def said(found: list[Change]) -> list[str]:
    return [change_line(c) for c in found]


def test_changes_say_what_changed_field_by_field() -> None:
    lines = said(changes(Rule(channel_id=2, steps=(48.0,)), Rule(channel_id=3, steps=(48.0,))))
    assert lines == ["channel: <#2> → <#3>"]
    assert said(changes(None, Rule(low_balance=0.0))) == ["low_balance: not set → off"]
    assert said(changes(Rule(runs_out_days=7.0), None)) == [
        "runs_out_days: within 7 days → not set"
    ]


async def test_rules_are_stored_logged_and_read_back(database: Database) -> None:
    rules = RuleStore(database)
    assert said(
        await rules.edit("a", lambda _: Rule(channel_id=2, steps=(48.0, 1.0)), 42, NOW)
    ) == [
        "channel: not set → <#2>",
        "steps: not set → 48, 1 h",
    ]
    assert await rules.edit("a", lambda _: Rule(channel_id=2, steps=(48.0, 1.0)), 43, NOW) == []
    later = NOW + timedelta(minutes=1)
    await rules.edit(ALL, lambda _: Rule(low_balance=100.0, runs_out_days=3.5), 44, later)
    book = await rules.book(DEFAULTS)
    assert book.rules == {
        "a": Rule(channel_id=2, steps=(48.0, 1.0)),
        ALL: Rule(low_balance=100.0, runs_out_days=3.5),
    }
    assert said(await rules.edit("a", lambda _: None, 45, later)) == [
        "channel: <#2> → not set",
        "steps: 48, 1 h → not set",
    ]
    assert "a" not in (await rules.book(DEFAULTS)).rules
    log = await rules.changes("a")
    assert [(c.by, c.at) for c in log] == [(45, later), (42, NOW)], "newest first, no no-ops"
    assert said(list(log[0].fields)) == ["channel: <#2> → not set", "steps: 48, 1 h → not set"]
    assert log[1].fields[1] == Change(Field.STEPS, None, (48.0, 1.0)), "read back as written"


async def test_a_refused_edit_changes_nothing_and_an_unreadable_rule_is_left_out(
    database: Database,
) -> None:
    rules = RuleStore(database)
    await rules.edit("a", lambda _: Rule(low_balance=5.0), 1, NOW)
    with pytest.raises(BadRule):
        await rules.edit("a", lambda current: proposed(current, steps="abc"), 2, NOW)
    assert (await rules.book(DEFAULTS)).rules == {"a": Rule(low_balance=5.0)}
    assert len(await rules.changes("a")) == 1
    await database.execute(
        "INSERT INTO alert_rules(account, steps, by_user, at) VALUES ('b', 'not json', '1', 0)"
    )
    book = await rules.book(DEFAULTS)
    assert set(book.rules) == {"a"}, "b's broken row is logged and left out, not fatal"
    assert book.unusable == {"b": "it cannot be read"}
    assert said(await rules.edit("b", lambda _: Rule(steps=(5.0,)), 3, NOW)) == [
        "steps: not set → 5 h"
    ]


def test_the_stored_rules_an_older_version_accepted_are_unusable_with_a_reason() -> None:
    assert unusable(Rule(steps=(72.0, 2160.0), low_balance=1e9, runs_out_days=90.0)) is None
    assert unusable(Rule(steps=(99999999999.0,))) == "a step over 2160 hours"
    assert unusable(Rule(steps=(24.0, float("inf")))) == "a step over 2160 hours"
    assert unusable(Rule(steps=(float("nan"),))) == "a step"
    assert unusable(Rule(steps=(-1.0,))) == "a step"
    assert unusable(Rule(steps=tuple(float(h) for h in range(1, 12)))) == "more than 10 steps"
    assert unusable(Rule(low_balance=1e300)) == "a low balance out of range"
    assert unusable(Rule(runs_out_days=1e9)) == "a running-out horizon out of range"


async def test_an_unusable_stored_rule_is_left_out_logged_once_and_replaced_when_set_again(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    rules = RuleStore(database)
    await database.execute(
        "INSERT INTO alert_rules(account, steps, low_balance, by_user, at) "
        "VALUES ('acc1', '[99999999999]', 5, '1', 0)"
    )
    for _ in range(3):
        book = await rules.book(DEFAULTS)
        assert book.rules == {} and book.unusable == {"acc1": "a step over 2160 hours"}
        assert book.of("acc1").steps == DEFAULTS.steps, "the defaults apply"
    warned = [r for r in caplog.records if "cannot be used" in r.getMessage()]
    assert len(warned) == 1, "one warning, not one per check"
    embed = rules_embed("acc1", book.of("acc1"), None, [], unusable=book.unusable["acc1"])
    assert "cannot be used (a step over 2160 hours)" in (embed.description or "")
    changed = await rules.edit("acc1", lambda now: proposed(now, steps="48"), 2, NOW)
    assert said(changed) == ["steps: not set → 48 h"], "the unusable rule is replaced"
    book = await rules.book(DEFAULTS)
    assert book.rules == {"acc1": Rule(steps=(48.0,))} and book.unusable == {}


def test_what_is_about_every_account_goes_to_a_channel_of_a_rule_when_all_have_none() -> None:
    book = RuleBook(Rule(steps=(24.0,)), {"b": Rule(channel_id=9), "c": Rule(channel_id=4)})
    for subject in (TOKEN_SUBJECT, USEAPI_SUBJECT, DIGEST_SUBJECT):
        assert book.of(subject).channel_id == 4
        assert book.of(subject).sources[Field.CHANNEL] == FALLBACK
    assert book.of("a").channel_id is None, "an account without a rule still goes nowhere"
    assert RuleBook(DEFAULTS, {"b": Rule(channel_id=9)}).of(TOKEN_SUBJECT).channel_id == 1


def snapshot(video: float, *, at: datetime = NOW, audio: float = 0.0) -> Snapshot:
    return Snapshot(at, video, audio, ())


def outlook(balance: float, per_day: float | None, batches: tuple[Batch, ...] = ()) -> Outlook:
    if per_day is None:
        return Outlook(Pool.VIDEO, Gathering(NOW - timedelta(hours=3)), None, balance)
    result = forecast(batches, per_day, NOW)
    return Outlook(Pool.VIDEO, Pace(per_day, 3.0, per_day * 3), result, balance)


def test_runs_out_at_the_pace_counts_credits_with_and_without_an_end_time() -> None:
    dated = (Batch(Pool.VIDEO, 100.0, NOW + timedelta(days=30)),)
    assert runs_out_at(outlook(100.0, 50.0, dated), NOW) == NOW + timedelta(days=2)
    assert runs_out_at(outlook(300.0, 50.0, dated), NOW) == NOW + timedelta(days=6)
    assert runs_out_at(outlook(100.0, 50.0), NOW) == NOW + timedelta(days=2), "undated only"
    assert runs_out_at(outlook(100.0, 0.0, dated), NOW) is None, "nothing spent"
    assert runs_out_at(outlook(100.0, None, dated), NOW) is None, "less than a day of history"
    soon = (Batch(Pool.VIDEO, 100.0, NOW + timedelta(days=1)),)
    assert runs_out_at(outlook(100.0, 10.0, soon), NOW) is None, "it expires before it is spent"
    assert runs_out_at(outlook(1e9, 0.25), NOW) is None, "millennia away: no date to overflow"


def test_the_video_and_the_audio_credits_each_have_their_own_low_balance() -> None:
    both = [Pool.VIDEO, Pool.AUDIO]
    video_only = RuleBook(DEFAULTS, {"a": Rule(low_balance=100.0)}).of("a")
    judged = balance_conditions(snapshot(500.0, audio=5.0), both, video_only, {}, NOW)
    assert judged == Judged({}, frozenset({"low:video"})), "low_balance never judges audio"
    audio_only = RuleBook(DEFAULTS, {"a": Rule(low_audio=50.0)}).of("a")
    judged = balance_conditions(snapshot(5.0, audio=5.0), both, audio_only, {}, NOW)
    assert judged.true == {"low:audio": LowBalance("audio", 5.0, 50.0)}
    assert judged.false == frozenset(), "low_audio never judges the video/image credits"
    judged = balance_conditions(snapshot(5.0), [Pool.VIDEO], audio_only, {}, NOW)
    assert judged == Judged({}, frozenset()), "no audio credits: no audio alert"
    assert switched_off({"low:video", "low:audio"}, audio_only) == {"low:video"}
    assert switched_off({"low:video", "low:audio"}, video_only) == {"low:audio"}


def test_balance_conditions_judge_only_what_the_rules_and_the_history_allow() -> None:
    book = RuleBook(DEFAULTS, {"a": Rule(low_balance=100.0, runs_out_days=3.0, low_audio=400.0)})
    rules = book.of("a")
    dated = (Batch(Pool.VIDEO, 90.0, NOW + timedelta(days=30)),)
    judged = balance_conditions(
        snapshot(90.0, audio=500.0),
        [Pool.VIDEO, Pool.AUDIO],
        rules,
        {Pool.VIDEO: outlook(90.0, 45.0, dated)},
        NOW,
    )
    assert judged.true == {
        "low:video": LowBalance("video", 90.0, 100.0),
        "runs_out:video": RunningOut("video", 90.0, 45.0, NOW + timedelta(days=2), 3.0),
    }
    assert judged.false == {"low:audio"}, "500 audio credits are not below 400; no pace"
    slow = balance_conditions(
        snapshot(100.0), [Pool.VIDEO], rules, {Pool.VIDEO: outlook(100.0, 10.0, dated)}, NOW
    )
    assert slow.true == {} and slow.false == {"low:video", "runs_out:video"}, "100 is not below"
    gathering = balance_conditions(
        snapshot(10.0), [Pool.VIDEO], rules, {Pool.VIDEO: outlook(10.0, None)}, NOW
    )
    assert set(gathering.true) == {"low:video"} and gathering.false == frozenset()


def test_a_condition_is_announced_once_and_rearmed_only_when_seen_clear() -> None:
    low = LowBalance("video", 5.0, 10.0)
    rise, clear = transitions(set(), Judged({"low:video": low}, frozenset()))
    assert rise == [("low:video", low)] and clear == []
    assert transitions({"low:video"}, Judged({"low:video": low}, frozenset())) == ([], [])
    assert transitions({"low:video"}, Judged({}, frozenset())) == ([], []), "not judged: kept"
    assert transitions({"low:video"}, Judged({}, frozenset({"low:video"}))) == ([], ["low:video"])
    book = RuleBook(DEFAULTS, {"a": Rule(runs_out_days=2.0)})
    assert switched_off({"low:video", "runs_out:audio"}, book.of("a")) == {"low:video"}
    active = {"low:audio", "runs_out:video", "subscription"}
    assert gone_pools(active, [Pool.VIDEO]) == {"low:audio"}, "no audio any more: re-armed"


def test_the_useapi_account_conditions() -> None:
    fine = useapi_conditions(True, 0, 4)
    assert fine == Judged({}, frozenset({"subscription", "account_errors"}))
    bad = useapi_conditions(False, 2, 4)
    assert bad.true == {
        "subscription": UseapiTrouble("subscription"),
        "account_errors": UseapiTrouble("account_errors", errors=2, total=4),
    }
    assert useapi_conditions(None, None, 0) == Judged({}, frozenset()), "unknown: not judged"


def test_the_rules_answer_warns_when_checks_are_further_apart_than_a_step() -> None:
    book = RuleBook(DEFAULTS, {"a": Rule(steps=(1.5, 1.0))})
    close = rules_embed("a", book.of("a"), book.rules["a"], [], interval_minutes=60)
    assert "⚠️ The checks run every 60 minutes, more than the smallest step (0.5 h)" in str(
        close.description
    )
    usual = rules_embed("b", book.of("b"), None, [], interval_minutes=30)
    assert "⚠️" not in str(usual.description)
    assert "Running out: off\n" in str(usual.description), "no “(not set)” after it"


async def test_two_edits_of_one_rule_at_once_both_land(database: Database) -> None:
    """Two managers (or replicas) at the same moment: neither change is lost."""
    rules = RuleStore(database)
    other = RuleStore(database)

    async def edit(store: RuleStore, **options: object) -> None:
        await store.edit("a", lambda current: proposed(current, **options), 1, NOW)  # type: ignore[arg-type]

    async def hold() -> None:  # two connections open, so the edits below really overlap
        async with database.transaction() as tx:
            await tx.fetch("SELECT 1")
            await asyncio.sleep(0)

    await asyncio.gather(hold(), hold())
    await asyncio.gather(edit(rules, low_balance=5.0), edit(other, runs_out_days=2.0))
    assert (await rules.book(DEFAULTS)).rules["a"] == Rule(low_balance=5.0, runs_out_days=2.0)


def test_a_field_can_be_unset_back_to_the_level_below_or_set_to_none() -> None:
    current = Rule(channel_id=2, role_id=7, steps=(48.0,), low_balance=5.0)
    assert proposed(current, unset=[Field.MENTION, Field.STEPS]) == Rule(2, low_balance=5.0)
    assert proposed(Rule(role_id=7), unset=[Field.MENTION]) is None, "nothing left: no rule"
    assert proposed(current, role_id=NO_ROLE) == replace(current, role_id=NO_ROLE)
    book = RuleBook(Rule(role_id=5), {ALL: Rule(role_id=7), "a": Rule(role_id=NO_ROLE)})
    assert book.of("a").role_id is None, "“none” pings nobody, over the server default"
    assert book.of("a").sources[Field.MENTION] == "this account's rule"
    assert book.of("b").role_id == 7
    assert RuleBook(Rule(role_id=5), {"a": Rule(channel_id=3)}).of("a").role_id == 5
    assert said(changes(Rule(role_id=7), Rule(role_id=NO_ROLE))) == ["mention: <@&7> → none"]


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (
            {"low_balance": 5.0, "unset": [Field.LOW_BALANCE]},
            "low_balance: given and unset in one command",
        ),
        (
            {"role_id": 7, "escalate_to": 8, "unset": [Field.MENTION, Field.ESCALATE_TO]},
            "mention, escalate_to: given and unset in one command",
        ),
        ({"escalate_after": "0s"}, "escalate_after must be more than 0 and at most 30 days"),
        ({"escalate_after": "31d"}, "escalate_after must be more than 0 and at most 30 days"),
        ({"escalate_after": "soon"}, "escalate_after “soon” is not a duration: e.g. 30m"),
        ({"escalate_after": "20"}, "is not a duration"),
        ({"escalate_repeat": 11}, "escalate_repeat must be 0 (one follow-up) to 10 more"),
        ({"escalate_repeat": -1}, "escalate_repeat must be 0 (one follow-up) to 10 more"),
        ({"low_audio": -1.0}, "low_audio must be 0 (off) to 1000000000 credits"),
        (
            {"steps": "24,0.25", "interval_minutes": 30},
            "steps: 0.25 h is shorter than the check interval (30 min): it could be missed; "
            "use ≥ 0.5 or lower CHECK_INTERVAL_MINUTES",
        ),
        (
            {"steps": "1.25,1", "interval_minutes": 30},
            "steps: two are 0.25 h apart, less than the check interval (30 min)",
        ),
    ],
)
def test_bad_new_options_are_refused_in_one_line(options: dict, says: str) -> None:
    with pytest.raises(BadRule) as caught:
        proposed(Rule(low_balance=1.0), **options)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_steps_the_checks_can_keep_up_with_are_taken() -> None:
    assert proposed(None, steps="24,0.5", interval_minutes=30) == Rule(steps=(24.0, 0.5))
    assert proposed(None, steps="24,0.25", interval_minutes=15) == Rule(steps=(24.0, 0.25))
    assert proposed(None, steps="24,0.25") == Rule(steps=(24.0, 0.25)), "no interval: no check"
    assert proposed(Rule(steps=(0.1,)), low_balance=5.0, interval_minutes=30) == Rule(
        steps=(0.1,), low_balance=5.0
    ), "only the steps being set are judged (the answer warns of the others)"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("20s", 20), ("30m", 1800), ("2h", 7200), ("1d", 86400), ("1h 30m", 5400), ("30d", 2592000)],
)
def test_escalate_after_takes_seconds_to_days(text: str, seconds: float) -> None:
    rule = proposed(None, escalate_after=text, escalate_to=9)
    assert rule is not None and rule == Rule(escalate_after=seconds, escalate_to=9)
    assert RuleBook(DEFAULTS, {"a": rule}).of("a").escalate_after == timedelta(seconds=seconds)


def test_the_escalation_fields_stack_like_the_others_and_off_unsets_escalate_after() -> None:
    server = Rule(escalate_after=1800.0, escalate_to=9, escalate_repeat=2)
    book = RuleBook(DEFAULTS, {ALL: server, "quiet": Rule(escalate_to=NO_ROLE)})
    every = book.of("a")
    assert (every.escalate_after, every.escalate_to, every.escalate_repeat) == (
        timedelta(minutes=30),
        9,
        2,
    )
    assert every.sources[Field.ESCALATE_TO] == "the rule for all accounts"
    quiet = book.of("quiet")
    assert quiet.escalate_to is None, "“none”: no escalation ping, so no escalation"
    plain = RuleBook(DEFAULTS, {}).of("a")
    assert (plain.escalate_after, plain.escalate_to, plain.escalate_repeat) == (None, None, 0)
    assert proposed(server, escalate_after="off") == Rule(escalate_to=9, escalate_repeat=2)
    assert proposed(server, escalate_after="OFF", unset=[Field.ESCALATE_AFTER]) == Rule(
        escalate_to=9, escalate_repeat=2
    ), "off and unset say the same"
    assert unusable(Rule(escalate_after=0.0)) == "an escalation delay out of range"
    assert unusable(Rule(escalate_repeat=99)) == "an escalation repeat out of range"
    assert unusable(server) is None


def test_the_rules_of_every_account_are_compared_with_the_check_interval_at_start() -> None:
    book = RuleBook(
        DEFAULTS,
        {ALL: Rule(steps=(24.0, 0.25)), "a": Rule(steps=(48.0,)), "b": Rule(steps=(2.0, 1.9))},
    )
    assert rule_interval_warnings(book, 30) == [
        "the rule for all accounts: steps: 0.25 h is shorter than the check interval (30 min): "
        "it could be missed; use ≥ 0.5 or lower CHECK_INTERVAL_MINUTES",
        "the rule of 'b': steps: two are 0.1 h apart, less than the check interval (30 min): one "
        "could be missed; put them ≥ 0.5 h apart or lower CHECK_INTERVAL_MINUTES",
    ]
    assert rule_interval_warnings(book, 5) == []


async def test_the_new_fields_are_stored_and_read_back(database: Database) -> None:
    rules = RuleStore(database)
    rule = Rule(
        role_id=NO_ROLE,
        low_balance=100.0,
        low_audio=20.0,
        escalate_after=20.0,
        escalate_to=900000000000000777,
        escalate_repeat=3,
    )
    assert said(await rules.edit("a", lambda _: rule, 1, NOW)) == [
        "mention: not set → none",
        "low_balance: not set → below 100 video/image credits",
        "low_audio: not set → below 20 audio credits",
        "escalate_after: not set → 20 s",
        "escalate_to: not set → <@&900000000000000777>",
        "escalate_repeat: not set → at most 3 more times",
    ]
    assert (await rules.book(DEFAULTS)).rules == {"a": rule}
    unset = [Field.LOW_AUDIO, Field.ESCALATE_TO]
    later = NOW + timedelta(minutes=1)
    changed = await rules.edit("a", lambda now: proposed(now, unset=unset), 2, later)
    assert said(changed) == [
        "low_audio: below 20 audio credits → not set",
        "escalate_to: <@&900000000000000777> → not set",
    ]
    stored = (await rules.book(DEFAULTS)).rules["a"]
    assert stored == replace(rule, low_audio=None, escalate_to=None)
    [latest, first] = await rules.changes("a")
    assert latest.fields[0] == Change(Field.LOW_AUDIO, 20.0, None), "the log reads back too"
    assert first.fields[0] == Change(Field.MENTION, None, NO_ROLE)


def test_the_rules_answer_says_where_each_value_comes_from() -> None:
    book = RuleBook(
        Rule(channel_id=1, role_id=5, steps=(72.0,), failure_rate=50.0, failure_min_jobs=10),
        {
            ALL: Rule(low_balance=100.0, escalate_after=1800.0, escalate_to=9),
            "a": Rule(role_id=NO_ROLE, low_audio=20.0),
        },
    )
    text = str(rules_embed("a", book.of("a"), book.rules["a"], []).description)
    lines = text.splitlines()
    assert "Channel: <#1> (the settings (ALERT_CHANNEL_ID))" in lines
    assert "Pings: none (this account's rule)" in lines
    assert "Expiry steps: 72 h (the settings (EXPIRY_WARNING_HOURS))" in lines
    assert "Low balance: below 100 video/image credits (the server default)" in lines
    assert "Low audio balance: below 20 audio credits (this account's rule)" in lines
    assert "Running out: off" in lines
    assert "Job failures: below 50 % succeeded (the default)" in lines
    assert "Escalates after: 30 min (the server default)" in lines
    assert "Escalates to: <@&9> (the server default)" in lines
    assert "Escalation repeats: not set" in lines
    assert "⚠️" not in text
    server = str(rules_embed(ALL, book.of(ALL), book.rules[ALL], []).description)
    assert "Low balance: below 100 video/image credits (this rule, the server default)" in server
    assert "Pings: <@&5> (the settings (ALERT_MENTION_ROLE_ID))" in server
    half = RuleBook(DEFAULTS, {"b": Rule(escalate_after=60.0)})
    warned = str(rules_embed("b", half.of("b"), half.rules["b"], []).description)
    assert "⚠️ Nothing escalates: an alert escalates with both escalate_after and a role" in warned
    assert "rules for all" not in rule_line(book.of("a"))
    assert "low balance below 100 video/image credits (the server default)" in rule_line(
        book.of("a")
    )
