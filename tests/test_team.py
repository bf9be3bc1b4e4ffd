"""Which account to use next: the team's two "unused" figures and the order (pure maths)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from usage.domain.forecast import forecast, team_forecast, whole
from usage.domain.outlook import Outlook
from usage.domain.pace import Gathering, Pace
from usage.domain.snapshot import Batch, Pool
from usage.domain.team import Step, team

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
D = timedelta(days=1)
V = Pool.VIDEO


def paced(per_day: float, *batches: tuple[float, float]) -> Outlook:
    """An account spending `per_day` with batches of (credits, days until they expire)."""
    held = [Batch(V, amount, NOW + days * D) for amount, days in batches]
    return Outlook(
        V, Pace(per_day, 7, per_day * 7), forecast(held, per_day, NOW), sum(a for a, _ in batches)
    )


def test_the_two_figures_and_the_order_by_hand() -> None:
    """a spends 10 a day and holds 100 credits ending in 5 days and 120 in 20 days;
    b spends 5 a day and holds 60 ending in 2 days and 100 in 10 days.

    At each account's own pace:
      a: 100 by day 5, 5 * 10 = 50 spent → 50 unused; 120 from day 5 at 10 a day is used
         up on day 5 + 12 = 17 → 0 unused.                                  a: 50
      b: 60 by day 2, 2 * 5 = 10 spent → 50 unused; 100 from day 2 to 10, 8 * 5 = 40
         spent → 60 unused.                                                 b: 110
      X = 50 + 110 = 160.
    The team spends 10 + 5 = 15 a day from the account whose credits expire first:
      b's 60 (day 2): 2 * 15 = 30 spent → 30 unused;
      a's 100 (day 5): 3 * 15 = 45 spent → 55 unused;
      b's 100 (day 10): 5 * 15 = 75 spent → 25 unused;
      a's 120 (day 20): from day 10, 120 / 15 = 8 days → used up on day 18, 0 unused.
      Y = 30 + 55 + 25 = 110 (50 fewer).
    Order: use b until day 2, then a until day 5, then b until day 10, then a until day 18.
    """
    t = team({"a": paced(10, (100, 5), (120, 20)), "b": paced(5, (60, 2), (100, 10))}, NOW)
    assert t is not None
    assert t.per_day == 15
    assert [(b.account, b.lost) for b in t.own] == [("b", 50), ("a", 50), ("b", 60), ("a", 0)]
    assert t.own_lost == 160
    assert [(b.account, b.lost) for b in t.pooled.batches] == [
        ("b", 30),
        ("a", 55),
        ("b", 25),
        ("a", 0),
    ]
    assert t.pooled_lost == 110
    assert t.order == (
        Step("b", NOW + 2 * D),
        Step("a", NOW + 5 * D),
        Step("b", NOW + 10 * D),
        Step("a", NOW + 18 * D),
    )
    assert t.pooled.runs_out_at == NOW + 18 * D
    assert t.balance == 380 and t.paced == ("a", "b") and t.gathering == ()


def test_the_own_figures_are_each_accounts_alone() -> None:
    """What the combined view says of a batch is what the account's own view says."""
    a, b = paced(10, (100, 5), (120, 20)), paced(5, (60, 2), (100, 10))
    t = team({"a": a, "b": b}, NOW)
    assert t is not None
    for name, alone in (("a", a), ("b", b)):
        assert alone.forecast is not None
        mine = [x.lost for x in t.own if x.account == name]
        assert mine == [x.lost for x in alone.forecast.batches]


def test_a_run_of_one_accounts_batches_is_one_step() -> None:
    t = team({"a": paced(10, (10, 1), (10, 2)), "b": paced(1, (50, 30))}, NOW)
    assert t is not None
    assert [s.account for s in t.order] == ["a", "b"]
    used_up = NOW + timedelta(days=20 / 11)  # a's 20 credits at 10 + 1 a day
    assert abs(t.order[0].until - used_up) < timedelta(seconds=1)


def test_accounts_gathering_history_are_named_not_counted() -> None:
    gathering = Outlook(V, Gathering(NOW - timedelta(hours=3)), None, 500)
    t = team({"a": paced(10, (100, 5)), "c": gathering}, NOW)
    assert t is not None
    assert t.paced == ("a",) and t.gathering == ("c",)
    assert t.own_lost == t.pooled_lost == 50
    assert team({"c": gathering}, NOW) is None


def test_the_outlooks_must_be_of_one_pool() -> None:
    audio = Outlook(Pool.AUDIO, Pace(1, 7, 7), forecast([], 1, NOW), 0)
    with pytest.raises(ValueError, match="several pools"):
        team({"a": paced(10, (100, 5)), "b": audio}, NOW)


def test_whole_counts_round_half_up() -> None:
    assert [whole(x) for x in (0.49, 0.5, 1.5, 2.5, 8.3, 35.6)] == [0, 1, 2, 3, 8, 36]


def test_ties_in_the_team_order_go_by_account_name() -> None:
    same = Batch(V, 10, NOW + D)
    result = team_forecast({"b": [same], "a": [same]}, 10, NOW)
    assert [b.account for b in result.batches] == ["a", "b"]
    assert [b.unused for b in result.batches] == [0, 10]


accounts = st.lists(
    st.tuples(
        st.floats(0, 50),
        st.lists(st.tuples(st.integers(0, 500), st.floats(0.1, 60)), max_size=4),
    ),
    min_size=2,
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(accounts)
def test_spending_from_the_first_expiring_never_loses_more(
    found: list[tuple[float, list[tuple[int, float]]]],
) -> None:
    """Each account at its own pace is one way of spending the same credits at the same
    total pace; the first-expiring order loses no more than it (to the rounding of each
    batch to whole credits, under one credit a batch)."""
    t = team({f"acc{i}": paced(p, *b) for i, (p, b) in enumerate(found)}, NOW)
    assert t is not None
    assert t.pooled.total_unused <= sum(b.unused for b in t.own) + 1e-6
    assert t.pooled_lost <= t.own_lost + len(t.own)
    assert sum(b.batch.amount for b in t.pooled.batches) == sum(b.batch.amount for b in t.own)
