from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from minimax_api import Features, model_name, parse_accounts, parse_features
from testbed.upstream import SAMPLE_PATH, account_entry, sample_features

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_documented_sample_parses_every_field() -> None:
    f = parse_features(json.loads(SAMPLE_PATH.read_text()), fetched_at=NOW)
    assert f.total_credits == 100
    assert f.total_credits_text == "100"
    assert f.plan_name == "Free"
    assert f.is_paid is False
    assert f.expire_text == "100 points will expire within 24 hours"
    assert (f.queue_length, f.image_queue_length) == (3, 5)
    assert len(f.credit_batches) == 1
    assert f.credit_batches[0].credit == 100
    assert f.credit_batches[0].expires_at == datetime(2025, 5, 31, 23, 59, 59, 999000, tzinfo=UTC)
    assert [m.model_id for m in f.models] == [
        "image-01", "23000", "23010", "23001", "23011", "23102", "23021",
    ]  # fmt: skip
    assert f.models[-1].cost == 45
    assert f.models[1].name == "T2V-01 (Hailuo 1.0 text to video)"
    assert f.audio is not None and f.audio.total == 100
    assert f.audio.batches[0].expires_at == f.credit_batches[0].expires_at
    assert f.fetched_at == NOW


def test_sample_batches_are_expired_today() -> None:
    f = parse_features(json.loads(SAMPLE_PATH.read_text()), fetched_at=NOW)
    assert f.active_batches(NOW) == ()
    assert f.soonest_expiry(NOW) is None


@pytest.mark.parametrize("payload", [{}, None, [], "text", 42, {"unknown": {"deep": [1]}}])
def test_empty_or_foreign_payloads_give_an_empty_view(payload: object) -> None:
    f = parse_features(payload, fetched_at=NOW)
    assert f.total_credits is None and f.plan_name is None and f.audio is None
    assert f.credit_batches == () and f.models == ()


# The field of Features that each key of the payload feeds; the other keys feed none.
FEEDS = {
    "totalCredits": "total_credits",
    "totalCreditsStr": "total_credits_text",
    "memberName": "plan_name",
    "isPaidSubscription": "is_paid",
    "expireText": "expire_text",
    "queueLength": "queue_length",
    "imageQueueLength": "image_queue_length",
    "creditExpireText": "credit_batches",
    "modelControl": "models",
    "audio": "audio",
}


def test_each_key_missing_in_turn_empties_its_own_field_and_no_other() -> None:
    payload = sample_features(now=NOW)
    full = parse_features(payload, fetched_at=NOW)
    defaults = {f.name: f.default for f in dataclasses.fields(Features)}
    assert all(getattr(full, name) != defaults[name] for name in FEEDS.values()), (
        "the sample fills every field, or a missing key could not show"
    )
    for key in payload:
        partial = parse_features({k: v for k, v in payload.items() if k != key}, fetched_at=NOW)
        changed = {name for name in defaults if getattr(partial, name) != getattr(full, name)}
        expected = {FEEDS[key]} if key in FEEDS else set()
        assert changed == expected, f"without {key!r}"
        assert all(getattr(partial, name) == defaults[name] for name in changed), key


def test_nulls_and_wrong_types_become_none() -> None:
    payload = {
        "totalCredits": "not a number",
        "memberName": None,
        "isPaidSubscription": "yes",
        "queueLength": 2.5,
        "imageQueueLength": True,
        "expireText": ["x"],
        "creditExpireText": [
            None, "x", {"credit": None, "endTime": None}, {"credit": 3, "endTime": "soon"},
        ],
        "modelControl": [
            None,
            {"modelId": None},
            {"modelId": 23000, "videoCost": "30", "durations": [6, {"name": "10s"}, None]},
        ],
        "audio": {"total_credit": None, "sub_credits": [None, {"record": "x", "end_time": 0}]},
    }  # fmt: skip
    f = parse_features(payload, fetched_at=NOW)
    assert f.total_credits is None
    assert f.plan_name is None and f.is_paid is None and f.expire_text is None
    assert f.queue_length is None and f.image_queue_length is None
    assert [(b.credit, b.expires_at) for b in f.credit_batches] == [(3, None)]
    assert len(f.models) == 1
    assert f.models[0].model_id == "23000" and f.models[0].cost == 30
    assert f.models[0].durations == ("6", "10s")
    assert f.audio is not None and f.audio.total is None and f.audio.batches == ()


def test_times_in_seconds_and_milliseconds_are_the_same_moment() -> None:
    when = NOW + timedelta(hours=5)
    in_ms = parse_features(
        {"creditExpireText": [{"credit": 1, "endTime": int(when.timestamp() * 1000)}]}
    )
    in_s = parse_features({"creditExpireText": [{"credit": 1, "endTime": int(when.timestamp())}]})
    expires_at = in_ms.credit_batches[0].expires_at
    assert expires_at == in_s.credit_batches[0].expires_at == when
    assert expires_at is not None and expires_at.tzinfo is UTC


def test_absurd_times_do_not_raise() -> None:
    f = parse_features(
        {"creditExpireText": [{"credit": 1, "endTime": 10**30}, {"credit": 2, "endTime": -5}]}
    )
    assert [b.expires_at for b in f.credit_batches] == [None, None]


def test_active_batches_drop_expired_and_sort_soonest_first() -> None:
    f = parse_features(sample_features(batches_in_hours=[50, -1, 2, 10], now=NOW), fetched_at=NOW)
    ends = [b.expires_at for b in f.active_batches(NOW)]
    hours = [(end - NOW).total_seconds() / 3600 for end in ends if end is not None]
    assert hours == pytest.approx([2, 10, 50], abs=0.01)
    assert f.soonest_expiry(NOW) == NOW + timedelta(hours=2)


def test_audio_batches_count_towards_soonest_expiry() -> None:
    f = parse_features(sample_features(batches_in_hours=[50], audio_in_hours=[3], now=NOW))
    assert f.soonest_expiry(NOW) == NOW + timedelta(hours=3)


def test_audio_without_records_uses_the_batch_itself() -> None:
    end = int((NOW + timedelta(days=1)).timestamp() * 1000)
    f = parse_features(
        {"audio": {"total_credit": 7, "sub_credits": [{"credit": 7, "end_time": end}]}}
    )
    assert f.audio is not None
    assert [(b.credit, b.expires_at) for b in f.audio.batches] == [(7, NOW + timedelta(days=1))]


def test_unknown_model_ids_are_shown_as_they_are() -> None:
    assert model_name("23200") == "Hailuo 02, text to video"
    assert model_name("hailuo3.0-t2v") == "hailuo3.0-t2v"


def test_accounts_listing() -> None:
    listing = {"123": account_entry("123"), "456": {"error": "session rejected"}, "789": None}
    accounts = parse_accounts(listing)
    assert [a.account for a in accounts] == ["123", "456", "789"]
    assert accounts[0].session_expires_at is not None
    assert accounts[0].user_name == "user 123"
    assert accounts[1].error == "session rejected"
    assert parse_accounts("nonsense") == ()
    assert parse_accounts([account_entry("9")])[0].account == "9"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        # the older documentation: supportMusic, supportVideo
        ({"supportMusic": True, "supportVideo": False}, (False, None, True)),
        # the current documentation: supportVideo, supportChat, supportAudio
        ({"supportVideo": True, "supportChat": True, "supportAudio": False}, (True, True, False)),
        ({}, (None, None, None)),
        ({"supportVideo": "yes", "supportAudio": None}, (None, None, None)),
    ],
)
def test_both_shapes_of_the_listing_flags(flags: dict[str, object], expected: tuple) -> None:
    entry = {**account_entry("1"), **flags}
    for key in ("supportMusic", "supportVideo", "supportChat", "supportAudio"):
        if key not in flags:
            entry.pop(key, None)
    [info] = parse_accounts({"1": entry})
    assert (info.support_video, info.support_chat, info.support_audio) == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), True, "x"])
def test_numbers_that_are_not_amounts_read_as_unknown(value: object) -> None:
    from chat.fmt import amount
    from minimax_api.parsing import number

    assert number(value) is None
    assert amount(number(value)) == "?"


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ("soon", None),  # neither seconds nor a date
        ("", None),
        ("7", 7.0),
        ("Thu, 01 Jan 1970 00:00:00 -0000", 0.0),  # a date in the past, in UTC: no wait
    ],
)
def test_retry_after_reads_seconds_and_dates_and_nothing_else(header: str, wait: float) -> None:
    from minimax_api.client import _retry_after

    assert _retry_after(header) == wait
