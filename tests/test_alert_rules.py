from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alerts.domain.due import AlertKey, ExpiryKind, Subject, crossed, plan, subjects
from minimax_api import AccountInfo, parse_features
from testbed.upstream import sample_features

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HOURS = (72.0, 24.0, 1.0)


def batch(hours: float, kind: ExpiryKind = ExpiryKind.VIDEO) -> Subject:
    return Subject("acc", kind, NOW + timedelta(hours=hours), 100)


def run(subjects_: list[Subject], now: datetime, done: set[AlertKey]) -> list[tuple[float, float]]:
    """Post and silence as the watcher would; returns (hours left, threshold) of each post."""
    post, silence = plan(subjects_, HOURS, now, done)
    done.update(d.key for d in post)
    done.update(silence)
    return [((d.subject.ends_at - NOW).total_seconds() / 3600, d.threshold) for d in post]


def test_crossing_is_at_or_below_the_threshold() -> None:
    assert crossed(batch(24), HOURS, NOW) == [24, 72]
    assert crossed(batch(24.01), HOURS, NOW) == [72]
    assert crossed(batch(100), HOURS, NOW) == []
    assert crossed(batch(0.5), HOURS, NOW) == [1, 24, 72]


def test_a_step_too_long_for_a_timedelta_is_compared_without_one() -> None:
    assert crossed(batch(20), (1e12, 24), NOW) == [24, 1e12], "no OverflowError"


def test_expired_batches_are_never_announced() -> None:
    assert crossed(batch(-0.1), HOURS, NOW) == []
    assert crossed(batch(0), HOURS, NOW) == []


def test_one_alert_per_batch_and_threshold_over_many_ticks() -> None:
    done: set[AlertKey] = set()
    b = batch(80)
    posts = [run([b], NOW + timedelta(hours=h), done) for h in range(0, 80)]
    assert [p for p in posts if p] == [[(80, 72)], [(80, 24)], [(80, 1)]]


def test_after_downtime_only_the_most_severe_is_posted() -> None:
    done: set[AlertKey] = set()
    assert run([batch(0.5)], NOW, done) == [(0.5, 1)]
    assert {k.threshold for k in done} == {1, 24, 72}
    assert run([batch(0.5)], NOW + timedelta(minutes=10), done) == []


def test_a_renewed_batch_re_arms() -> None:
    done: set[AlertKey] = set()
    assert run([batch(2)], NOW, done) == [(2, 24)]
    assert run([batch(2)], NOW, done) == []
    assert run([batch(20)], NOW, done) == [(20, 24)], "a new end time is a new batch"


def test_kinds_are_separate() -> None:
    done: set[AlertKey] = set()
    posted = run([batch(2), batch(2, ExpiryKind.AUDIO), batch(2, ExpiryKind.SESSION)], NOW, done)
    assert len(posted) == 3


def test_subjects_merge_batches_with_the_same_end_time() -> None:
    payload = sample_features(batches_in_hours=[5, 5, 30], audio_in_hours=[5], now=NOW)
    info = AccountInfo("acc", session_expires_at=NOW + timedelta(days=2))
    found = subjects("acc", parse_features(payload), info)
    by_kind = sorted((s.kind, s.credit) for s in found)
    assert by_kind == [
        (ExpiryKind.AUDIO, 5),
        (ExpiryKind.SESSION, None),
        (ExpiryKind.VIDEO, 30),
        (ExpiryKind.VIDEO, 30),
    ]
    assert subjects("acc", None, None) == []


def test_an_end_time_that_wobbles_by_seconds_is_the_same_batch() -> None:
    done: set[AlertKey] = set()
    assert run([batch(2)], NOW, done) == [(2, 24)]
    for seconds in (1, -1, 30, 599, -599):
        wobbled = Subject("acc", ExpiryKind.VIDEO, NOW + timedelta(hours=2, seconds=seconds), 100)
        assert run([wobbled], NOW + timedelta(minutes=1), done) == [], seconds


def test_an_end_time_that_really_moves_is_a_new_batch() -> None:
    done: set[AlertKey] = set()
    assert run([batch(2)], NOW, done) == [(2, 24)]
    assert run([batch(5)], NOW, done) == [(5, 24)]
    assert run([batch(2, ExpiryKind.AUDIO)], NOW, done) == [(2, 24)], (
        "another kind is another batch"
    )


def test_batches_ending_minutes_apart_are_announced_together() -> None:
    features = parse_features(sample_features(batches_in_hours=[2], audio_in_hours=None))
    first = features.credit_batches[0]
    assert first.expires_at is not None
    near = replace(first, expires_at=first.expires_at + timedelta(minutes=5), credit=7)
    far = replace(first, expires_at=first.expires_at + timedelta(hours=3), credit=1)
    features = replace(features, credit_batches=(first, near, far))
    found = subjects("acc", features, None)
    assert [(s.ends_at, s.credit) for s in found] == [
        (first.expires_at, (first.credit or 0) + 7),
        (far.expires_at, 1),
    ]
