from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minimax_api import parse_features
from testbed.upstream import sample_features
from usage.domain.forecast import forecast, projected, spend_order
from usage.domain.pace import Gathering, Pace, pace, spending
from usage.domain.retention import thin
from usage.domain.snapshot import Batch, Pool, Snapshot, snapshot_of

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent
H = timedelta(hours=1)
D = timedelta(days=1)
V, A = Pool.VIDEO, Pool.AUDIO


def snap(at: datetime, video: float, audio: float = 0.0, *batches: Batch) -> Snapshot:
    return Snapshot(at=at, video=video, audio=audio, batches=batches)


def hourly(values: Sequence[float], end: datetime = NOW) -> list[Snapshot]:
    """One snapshot an hour, the last at `end`."""
    n = len(values)
    return [snap(end - (n - 1 - i) * H, v) for i, v in enumerate(values)]


def vb(amount: float, ends_at: datetime) -> Batch:
    return Batch(V, amount, ends_at)


# --- snapshots -----------------------------------------------------------------------------


def test_json_round_trip_is_compact() -> None:
    s = snap(NOW, 100, 5.5, vb(100, NOW + D), Batch(A, 5.5, NOW + 2 * D))
    data = s.to_json()
    assert data == {
        "at": 1795608000,
        "video": 100,
        "audio": 5.5,
        "batches": [["video", 100, 1795694400], ["audio", 5.5, 1795780800]],
    }
    assert Snapshot.from_json(data) == s


@pytest.mark.parametrize(
    "bad",
    [
        None,
        {},
        {"at": "yesterday", "video": 1, "audio": 1, "batches": []},
        {"at": 1, "video": None, "audio": 1, "batches": []},
        {"at": 1, "video": 1, "audio": 1, "batches": [["gold", 1, 2]]},
        {"at": 1, "video": 1, "audio": 1, "batches": [["video", 1]]},
        {"at": 1e300, "video": 1, "audio": 1, "batches": []},
    ],
)
def test_from_json_rejects_what_is_not_a_snapshot(bad: object) -> None:
    with pytest.raises(ValueError):
        Snapshot.from_json(bad)


def test_times_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError):
        snap(NOW.replace(tzinfo=None), 1)
    with pytest.raises(ValueError):
        vb(1, NOW.replace(tzinfo=None))


def test_snapshot_of_features_keeps_the_pools_apart() -> None:
    features = parse_features(
        sample_features(batches_in_hours=(48, 72), audio_in_hours=(100,), total=30, now=NOW),
        fetched_at=NOW,
    )
    s = snapshot_of(features)
    assert (s.at, s.video, s.audio) == (NOW, 30, 100)
    assert [(b.amount, b.ends_at) for b in s.batches_of(V)] == [
        (10, NOW + 48 * H),
        (20, NOW + 72 * H),
    ]
    assert [(b.amount, b.ends_at) for b in s.batches_of(A)] == [(5, NOW + 100 * H)]


def test_snapshot_of_features_without_totals_sums_the_batches() -> None:
    payload = sample_features(batches_in_hours=(48, 72), audio_in_hours=None, now=NOW)
    del payload["totalCredits"]
    s = snapshot_of(parse_features(payload, fetched_at=NOW))
    assert (s.video, s.audio, len(s.batches)) == (30, 0, 2)


# --- pace and spending ---------------------------------------------------------------------


def test_pace_is_credits_per_day_over_the_history_covered() -> None:
    history = hourly([100 - i / 2 for i in range(49)])  # 0.5 an hour for 48 hours
    result = pace(history, V, NOW)
    assert isinstance(result, Pace)
    assert result.credits_per_day == pytest.approx(12)
    assert result.days == pytest.approx(2)
    assert result.spent == pytest.approx(24)


def test_pace_only_looks_at_the_window() -> None:
    busy = hourly([1000 - 10 * i for i in range(24 * 10)])  # 10 days of 240 a day, to NOW
    idle = [snap(NOW + i * H, busy[-1].video) for i in range(1, 24 * 8)]  # then 8 idle days
    result = pace(busy + idle, V, idle[-1].at)
    assert isinstance(result, Pace)
    assert result.credits_per_day == 0
    assert result.days == pytest.approx(7)


def test_rises_are_top_ups_not_negative_spending() -> None:
    history = hourly([100, 90, 500, 490] + [490] * 30)
    assert spending(history, V, NOW - 100 * H, NOW) == 20
    assert spending(history, A, NOW - 100 * H, NOW) == 0


def test_spending_counts_pairs_inside_the_period_only() -> None:
    history = hourly([100, 90, 80, 70, 60])
    assert spending(history, V, NOW - 3 * H, NOW - H) == 20
    assert spending(history, V, NOW - 30 * 24 * H, NOW - 10 * 24 * H) == 0


def test_an_expired_batch_is_not_spending() -> None:
    ends = NOW - 10 * H
    before = snap(ends - H, 150, 0, vb(50, ends), vb(100, NOW + D))
    after = snap(ends + H, 90, 0, vb(90, NOW + D))  # 50 expired, 10 spent
    assert spending([before, after], V, NOW - D, NOW) == 10


def test_a_batch_upstream_still_lists_after_its_end_expires_when_it_goes() -> None:
    ends = NOW - 10 * H
    a = snap(ends - H, 150, 0, vb(50, ends), vb(100, NOW + D))
    b = snap(ends + H, 145, 0, vb(50, ends), vb(95, NOW + D))  # still listed: 5 spent
    c = snap(ends + 2 * H, 90, 0, vb(90, NOW + D))  # gone now: 50 expired, 5 spent
    assert spending([a, b, c], V, NOW - D, NOW) == 10


def test_a_wobbling_end_time_is_the_same_batch() -> None:
    ends = NOW - 10 * H
    a = snap(ends - H, 150, 0, vb(150, ends))
    b = snap(ends + H, 140, 0, vb(140, ends + timedelta(seconds=30)))  # upstream lag
    assert spending([a, b], V, NOW - D, NOW) == 10


def test_gathering_until_a_day_of_history() -> None:
    assert pace([], V, NOW) == Gathering(None)
    history = hourly([100 - i for i in range(24)])  # 23 hours
    assert pace(history, V, NOW) == Gathering(NOW - 23 * H)
    assert Gathering(NOW - 23 * H).ready_at == NOW + H
    assert isinstance(pace(hourly([100 - i for i in range(25)]), V, NOW), Pace)


def test_old_history_outside_the_window_does_not_count_as_gathered() -> None:
    history = [snap(NOW - 30 * D, 500), snap(NOW - 2 * H, 400), snap(NOW, 390)]
    assert pace(history, V, NOW) == Gathering(NOW - 2 * H)


# --- spend order and forecast --------------------------------------------------------------


def test_spend_order_is_soonest_expiry_first_then_smallest() -> None:
    a, b, c = vb(5, NOW + 2 * D), vb(9, NOW + D), vb(3, NOW + D)
    assert spend_order([a, b, c]) == [c, b, a]


def test_forecast_spends_the_soonest_batch_first_and_the_rest_expires() -> None:
    soon, later = vb(100, NOW + 3 * D), vb(200, NOW + 10 * D)
    result = forecast([later, soon], 12, NOW)
    assert [r.batch for r in result.batches] == [soon, later]
    assert [r.unused for r in result.batches] == pytest.approx([64, 116])
    assert result.total_unused == pytest.approx(180)
    assert result.balance == 300
    assert result.runs_out_at is None


def test_forecast_runs_out_before_the_last_expiry() -> None:
    result = forecast([vb(12, NOW + D), vb(12, NOW + 10 * D)], 12, NOW)
    assert result.total_unused == 0
    assert result.batches[0].used_up_at == NOW + D
    assert result.runs_out_at == NOW + 2 * D


def test_forecast_continues_on_the_next_batch_after_an_expiry() -> None:
    result = forecast([vb(100, NOW + D), vb(24, NOW + 10 * D)], 12, NOW)
    assert [r.unused for r in result.batches] == pytest.approx([88, 0])
    assert result.runs_out_at == NOW + 3 * D


def test_forecast_ignores_expired_batches_and_refuses_a_negative_pace() -> None:
    result = forecast([vb(100, NOW), vb(100, NOW - D)], 1, NOW)
    assert result.batches == ()
    assert result.runs_out_at is None
    with pytest.raises(ValueError):
        forecast([], -1, NOW)
    with pytest.raises(ValueError):
        forecast([], math.nan, NOW)


def test_without_spending_everything_expires() -> None:
    result = forecast([vb(100, NOW + D), vb(50, NOW + 2 * D)], 0, NOW)
    assert result.total_unused == 150
    assert result.runs_out_at is None


def test_projected_balance_falls_with_spending_and_drops_at_expiry() -> None:
    points = projected(forecast([vb(100, NOW + 3 * D), vb(200, NOW + 10 * D)], 12, NOW), NOW)
    assert points == [
        (NOW, 300),
        (NOW + 3 * D, pytest.approx(264)),
        (NOW + 3 * D, 200),
        (NOW + 10 * D, pytest.approx(116)),
        (NOW + 10 * D, 0),
    ]
    assert projected(forecast([], 12, NOW), NOW) == []
    assert projected(forecast([vb(12, NOW + D), vb(12, NOW + 10 * D)], 12, NOW), NOW) == [
        (NOW, 24),
        (NOW + D, 12),
        (NOW + 2 * D, 0),
        (NOW + 10 * D, 0),
    ]


# --- retention -----------------------------------------------------------------------------


def test_thin_keeps_recent_points_and_one_per_hour_then_day() -> None:
    minutes = [snap(NOW - timedelta(minutes=m), float(m)) for m in range(0, 20 * 24 * 60, 7)]
    kept = thin(minutes, NOW)
    recent = [s for s in minutes if s.at > NOW - 2 * D]
    assert [s for s in kept if s.at > NOW - 2 * D] == sorted(recent, key=lambda s: s.at)
    old = [s for s in kept if s.at < NOW - 15 * D]
    days = {s.at.date() for s in old}
    assert len(old) == len(days), "one per day"
    for s in old:  # the last one of its day
        assert not any(o.at.date() == s.at.date() and o.at > s.at for o in minutes)
    mid = [s for s in kept if NOW - 13 * D < s.at < NOW - 3 * D]
    assert len(mid) == len({(s.at.date(), s.at.hour) for s in mid}), "one per hour"


def test_thin_drops_what_is_older_than_90_days() -> None:
    history = [snap(NOW - 91 * D, 1), snap(NOW - 89 * D, 2)]
    assert [s.video for s in thin(history, NOW)] == [2]


def test_a_minute_by_minute_quarter_thins_to_a_bounded_count() -> None:
    history = [snap(NOW - timedelta(minutes=m), 1.0) for m in range(90 * 24 * 60)]
    kept = thin(history, NOW)
    # All of the last 2 days (+ the hour that straddles that line), 12 days of hours (+ the
    # day that straddles), 76 days.
    assert len(kept) <= 2 * 24 * 60 + 60 + 13 * 24 + 77
    assert len(kept) >= 2 * 24 * 60 + 12 * 24 + 75


# --- properties ----------------------------------------------------------------------------

amounts = st.floats(min_value=0, max_value=1e6, allow_nan=False)
rates = st.floats(min_value=0, max_value=1e5, allow_nan=False)
batch_lists = st.lists(
    st.builds(
        vb,
        amounts,
        st.integers(min_value=-48 * 60, max_value=60 * 24 * 60).map(
            lambda m: NOW + timedelta(minutes=m)
        ),
    ),
    max_size=8,
)
# Histories: increasing times (at least 30 minutes apart) with any totals.
steps = st.lists(
    st.tuples(st.integers(min_value=30, max_value=12 * 60), amounts), min_size=1, max_size=40
)


def history_of(items: list[tuple[int, float]], end: datetime = NOW) -> list[Snapshot]:
    total = sum(m for m, _ in items)
    snaps, t = [], end - timedelta(minutes=total)
    for minutes, value in items:
        t += timedelta(minutes=minutes)
        snaps.append(snap(t, value))
    return snaps


def tolerance(*values: float) -> float:
    return 1e-9 * max(1.0, *(abs(v) for v in values)) + 1e-6


@given(batch_lists, rates)
def test_never_more_unused_than_the_balance(batches: list[Batch], per_day: float) -> None:
    result = forecast(batches, per_day, NOW)
    live = sum(b.amount for b in batches if b.ends_at > NOW)
    assert 0 <= result.total_unused <= live + tolerance(live)
    for r in result.batches:
        assert 0 <= r.unused <= r.batch.amount


@given(batch_lists, rates, rates)
def test_a_faster_pace_never_leaves_more_unused(batches: list[Batch], a: float, b: float) -> None:
    slow, fast = sorted((a, b))
    left_slow = forecast(batches, slow, NOW).total_unused
    left_fast = forecast(batches, fast, NOW).total_unused
    assert left_fast <= left_slow + tolerance(left_slow)


@given(batch_lists, rates)
def test_projection_agrees_with_the_forecast(batches: list[Batch], per_day: float) -> None:
    result = forecast(batches, per_day, NOW)
    points = projected(result, NOW)
    if not result.batches:
        assert points == []
        return
    assert points[0] == (NOW, result.balance)
    assert points[-1][1] == 0
    values = [v for _, v in points]
    assert all(b <= a + tolerance(a) for a, b in pairwise(values))
    drops = sum(a[1] - b[1] for a, b in pairwise(points) if a[0] == b[0])
    assert drops == pytest.approx(result.total_unused, rel=1e-9, abs=1e-6)


@given(steps, st.integers(min_value=0, max_value=39), st.floats(min_value=0.01, max_value=1e6))
def test_a_top_up_never_raises_the_pace(
    items: list[tuple[int, float]], at: int, extra: float
) -> None:
    history = history_of(items)
    topped = [
        snap(s.at, s.video + extra, 0.0, vb(extra, NOW + 30 * D)) if i >= at else s
        for i, s in enumerate(history)
    ]
    before, after = pace(history, V, NOW), pace(topped, V, NOW)
    assert type(before) is type(after)
    if isinstance(before, Pace) and isinstance(after, Pace):
        assert after.credits_per_day <= before.credits_per_day + tolerance(before.credits_per_day)


@given(steps)
def test_the_balance_moves_only_by_spending_and_top_ups(items: list[tuple[int, float]]) -> None:
    """Without batches nothing expires: every fall of the balance is spent and every rise a
    top-up, so first - spent + topped up == last; the pace is that spending over its window."""
    history = history_of(items)
    spent = spending(history, V, history[0].at, NOW)
    topped_up = sum(max(0.0, b.video - a.video) for a, b in pairwise(history))
    assert spent >= 0
    assert history[0].video - spent + topped_up == pytest.approx(
        history[-1].video, rel=1e-9, abs=1e-6
    )
    result = pace(history, V, NOW)
    if isinstance(result, Pace):
        assert result.spent == pytest.approx(spending(history, V, NOW - 7 * D, NOW))
        assert result.credits_per_day * result.days == pytest.approx(result.spent)


@given(st.lists(st.integers(min_value=30, max_value=12 * 60), min_size=1, max_size=40), amounts)
def test_a_constant_history_has_no_pace(gaps: list[int], value: float) -> None:
    result = pace(history_of([(g, value) for g in gaps]), V, NOW)
    assert isinstance(result, Gathering) or result.credits_per_day == 0


@given(steps)
def test_less_than_a_day_of_history_is_gathering(items: list[tuple[int, float]]) -> None:
    history = history_of(items)
    result = pace(history, V, NOW)
    span = history[-1].at - history[0].at
    if span < D:
        assert result == Gathering(history[0].at)
    else:
        assert isinstance(result, Pace) or history[0].at < NOW - 7 * D


@given(steps, st.floats(min_value=0.01, max_value=1e6), st.integers(min_value=0, max_value=39))
def test_credits_that_expire_are_not_spending(
    items: list[tuple[int, float]], amount: float, index: int
) -> None:
    """The same history plus a batch that expires after snapshot `index` paces the same."""
    history = history_of(items)
    ends = history[min(index, len(history) - 1)].at + timedelta(minutes=1)
    with_batch = [
        snap(s.at, s.video + amount, 0.0, vb(amount, ends)) if s.at < ends else s for s in history
    ]
    before, after = pace(history, V, NOW), pace(with_batch, V, NOW)
    assert type(before) is type(after)
    if isinstance(before, Pace) and isinstance(after, Pace):
        assert after.spent == pytest.approx(before.spent, rel=1e-9, abs=1e-6)


snapshot_lists = st.lists(
    st.builds(
        lambda minutes, v: snap(NOW - timedelta(minutes=minutes), v),
        st.integers(min_value=-60, max_value=95 * 24 * 60),
        amounts,
    ),
    max_size=60,
)


@given(snapshot_lists, st.integers(min_value=0, max_value=40 * 24 * 60))
@settings(deadline=None)
def test_thinning_at_every_check_keeps_what_thinning_once_keeps(
    history: list[Snapshot], later: int
) -> None:
    t2 = NOW + timedelta(minutes=later)
    once = thin(history, t2)
    assert thin(thin(history, NOW), t2) == once
    assert thin(once, t2) == once
    recent = [s for s in history if t2 - 2 * D < s.at]
    assert all(s in once for s in recent), "every point of the last 2 days is kept"
    assert all(s.at >= t2 - 90 * D for s in once)


whole_seconds = st.integers(min_value=0, max_value=4_000_000_000).map(
    lambda s: datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=s)
)


@given(
    st.builds(
        Snapshot,
        whole_seconds,
        amounts,
        amounts,
        st.lists(st.builds(Batch, st.sampled_from(Pool), amounts, whole_seconds)).map(tuple),
    )
)
def test_json_round_trip(s: Snapshot) -> None:
    data = s.to_json()
    assert json.loads(json.dumps(data)) == data
    assert Snapshot.from_json(data) == s


def test_usage_imports_nothing_of_discord() -> None:
    modules = ", ".join(
        f"usage.domain.{m}" for m in ("snapshot", "pace", "forecast", "retention", "outlook")
    )
    code = f"import sys, {modules}; print('discord' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False"
