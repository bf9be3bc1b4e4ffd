"""Snoozes and acknowledgements: the durations people type, and the store on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.domain.answers import Act, AlertGroup, AlertGroups, Announced, Answer
from alerts.domain.silences import (
    Ack,
    BadDuration,
    Silences,
    Snooze,
    parse_duration,
)
from state import Database

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("3h", 3 * 3600), ("2d", 2 * 86400), ("1w", 7 * 86400), ("90m", 5400),
     ("1d 12h", 36 * 3600), (" 2 hours ", 7200), ("30d", 30 * 86400), ("1.5h", 5400)],
)  # fmt: skip
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("text", "said"),
    [("0", "is not a duration"), ("0h", "must last some time"), ("40 days", "at most 30 days"),
     ("31d", "at most 30 days"), ("soon", "is not a duration"), ("3h and soon", "not a duration"),
     ("", "is not a duration"), ("-2h", "is not a duration")],
)  # fmt: skip
def test_bad_durations_say_what_would_do(text: str, said: str) -> None:
    with pytest.raises(BadDuration, match=said) as caught:
        parse_duration(text)
    assert "3h, 2d or 1w" in str(caught.value)


async def test_a_snooze_is_replaced_ended_and_taken_once(database: Database) -> None:
    silences = Silences(database)
    await silences.snooze(Snooze("a", NOW + timedelta(hours=1), 42, "", NOW))
    await silences.snooze(Snooze("a", NOW + timedelta(days=1), 43, "retiring it", NOW))
    await silences.snooze(Snooze("b", NOW + timedelta(hours=2), 42, "", NOW))
    assert [(s.account, s.by, s.reason) for s in await silences.snoozes()] == [
        ("b", 42, ""),
        ("a", 43, "retiring it"),
    ]
    assert await silences.ended(NOW + timedelta(hours=3)) == [
        Snooze("b", NOW + timedelta(hours=2), 42, "", NOW)
    ]
    assert await silences.ended(NOW + timedelta(hours=3)) == [], "taken once"
    assert await silences.end("a", NOW) is True
    assert await silences.end("a", NOW) is False, "already over"
    assert [s.account for s in await silences.ended(NOW)] == ["a"]
    assert await silences.snoozes() == []


async def test_acknowledged_batches_are_kept_until_they_end(database: Database) -> None:
    silences = Silences(database)
    ack = Ack("a", "video", NOW + timedelta(days=2), 42, NOW)
    await silences.acknowledge([ack, ack, Ack("b", "audio", NOW + timedelta(hours=1), 7, NOW)])
    assert [a.account for a in await silences.acks()] == ["b", "a"]
    assert await silences.acks(since=NOW + timedelta(hours=2)) == [ack]
    await silences.forget_before(NOW + timedelta(hours=2))
    assert await silences.acks() == [ack]


def saying(line: str) -> Act:
    return lambda group, accounts: Answer(line)


async def test_presses_take_turns_the_first_answer_stands_and_a_pick_counts_on_its_view(
    database: Database,
) -> None:
    groups = AlertGroups(database)
    group = AlertGroup("r1", ["a", "b", "c"], [Announced(x, "video", NOW) for x in "abc"])
    await groups.save(group, NOW)
    assert await groups.press("nope", 1, None, saying("x")) is None, "no record"
    assert await groups.pick("nope", 1, ["a"], ["a"]) is False
    fresh = [False, False, False]  # the message as posted: nothing answered
    assert await groups.pick("r1", 1, ["a"], ["a", "b", "c"])
    assert await groups.pick("r1", 2, ["a"], ["a", "b", "c"])
    first = await groups.press("r1", 1, fresh, saying("one"))
    assert first is not None and first.answered == ["a"] and first.already == {}
    second = await groups.press("r1", 2, fresh, saying("two"))  # pressed on the same view
    assert second is not None and second.answered == [] and second.already == {"a": "one"}
    assert await groups.pick("r1", 3, ["b"], ["a", "b", "c"])  # then the message is redrawn
    third = await groups.press("r1", 3, [True, False, False], saying("three"))
    assert third is not None and third.answered == ["b", "c"], "a stale pick: what the view shows"
    assert third.group.said == {"a": "one", "b": "three", "c": "three"}
    group = await groups.get("r1")
    assert group is not None and group.said == third.group.said
    last = await groups.press("r1", 1, fresh, saying("four"))  # on the first view still
    assert last is not None and last.answered == [] and last.already == third.group.said


async def test_a_press_does_what_it_decides_in_the_same_turn(database: Database) -> None:
    silences, groups = Silences(database), AlertGroups(database)
    await groups.save(AlertGroup("r2", ["a"], [Announced("a", "video", NOW)]), NOW)
    until = NOW + timedelta(hours=1)

    def act(group: AlertGroup, accounts: list[str]) -> Answer:
        snoozes = [Snooze(a, until, 7, "", NOW) for a in accounts]
        acks = [Ack(a, "video", NOW, 7, NOW) for a in accounts]
        return Answer("both", acks=acks, snoozes=snoozes)

    pressed = await groups.press("r2", 7, None, act)
    assert pressed is not None and pressed.answered == ["a"]
    assert [s.until for s in await silences.snoozes()] == [until]
    assert [a.account for a in await silences.acks()] == ["a"]
