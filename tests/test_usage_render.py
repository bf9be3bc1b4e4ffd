"""The usage lines and embeds (pure), and the pace the watcher gives expiry alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
import pytest

from alerts.domain.due import ExpiryKind
from alerts.domain.notices import ExpiringSoon, ExpiryItem, Notice
from alerts.render.messages import notice_embed
from state.moments import to_the_second
from tests.support.checks import message_problems
from usage.domain.outlook import combine, outlook
from usage.domain.snapshot import Batch, Pool, Snapshot
from usage.render.embeds import account_digest, outlook_line, pace_words, usage_embeds

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def spending(per_day: float, days: float, start: float, ends_in: timedelta) -> list[Snapshot]:
    hours = int(days * 24)
    return [
        Snapshot(
            NOW - timedelta(hours=hours - h),
            start - per_day * h / 24,
            0,
            (Batch(Pool.VIDEO, start - per_day * h / 24, NOW + ends_in),),
        )
        for h in range(hours + 1)
    ]


def test_a_slow_pace_loses_credits_and_says_when() -> None:
    o = outlook(spending(5, 7, 200, timedelta(days=10)), Pool.VIDEO, NOW, WEEK)
    assert o is not None
    line = outlook_line(o)
    assert line.startswith("At your pace (≈ 5 video/image credits/day over 7 days)")
    assert "about **115** credits will expire unused <t:" in line  # 165 left, 50 spent by then
    assert pace_words(o) == "video/image: ≈ 5/day, ~115 to expire unused"


def test_losses_from_several_batches_say_when_the_first_is_lost_not_all() -> None:
    """180 credits ending in 19 h and 400 in 25 days at 15 a day: ~168 of the first and ~37
    of the second are lost; not all ~205 "in 19 hours"."""
    later = Batch(Pool.VIDEO, 400, NOW + timedelta(days=25))
    history = [
        Snapshot(
            s.at,
            s.video + 400,
            0,
            (Batch(Pool.VIDEO, s.video, NOW + timedelta(hours=19)), later),
        )
        for s in spending(15, 7, 285, timedelta(hours=19))
    ]
    o = outlook(history, Pool.VIDEO, NOW, WEEK)
    assert o is not None
    line = outlook_line(o)
    assert "about **205** credits will expire unused, the first <t:" in line, line


def test_a_fast_pace_uses_everything_and_runs_out_first() -> None:
    o = outlook(spending(40, 7, 500, timedelta(days=10)), Pool.VIDEO, NOW, WEEK)
    assert o is not None
    line = outlook_line(o)
    assert "all of them will be used in time" in line
    assert "The balance runs out <t:" in line


def test_under_a_day_of_history_forecasts_nothing() -> None:
    o = outlook(spending(5, 0.5, 200, timedelta(days=3)), Pool.VIDEO, NOW, WEEK)
    assert o is not None and o.forecast is None
    assert outlook_line(o).startswith("Still gathering usage history (since <t:")
    assert "gathering" in pace_words(o)


def test_combined_history_adds_up_accounts() -> None:
    a = spending(5, 7, 200, timedelta(days=10))
    b = spending(3, 7, 100, timedelta(days=10))
    total = combine({"a": a, "b": b})
    assert total[-1].video == pytest.approx(a[-1].video + b[-1].video)
    o = outlook(total, Pool.VIDEO, NOW, WEEK)
    assert o is not None and o.pace.credits_per_day == pytest.approx(8)  # type: ignore[union-attr]


def test_usage_embeds_stay_within_discords_limits_with_many_accounts() -> None:
    history = spending(5, 7, 200, timedelta(days=3))
    o = outlook(history, Pool.VIDEO, NOW, WEEK)
    assert o is not None
    per_account = [(f"account-{i}" * 5, account_digest(history[-1], [o], NOW)) for i in range(60)]
    embeds = usage_embeds(
        title="Weekly digest",
        days=7,
        spent={Pool.VIDEO: 35.0},
        outlooks=[o],
        per_account=per_account,
        now=NOW,
        chart=True,
    )
    assert embeds[0].image.url == "attachment://usage.png"
    for embed in embeds:
        message = {"embeds": [embed.to_dict()], "allowed_mentions": {"parse": []}}
        assert message_problems(message) == []


def test_an_alert_says_what_of_the_batch_will_be_lost() -> None:
    ends = to_the_second(NOW + timedelta(hours=20))
    items = (
        ExpiryItem(ExpiryKind.VIDEO, 100, ends, 24, unused=40.4, per_day=12.0),
        ExpiryItem(ExpiryKind.AUDIO, 5, ends, 24, unused=0.0, per_day=1.0),
        ExpiryItem(
            ExpiryKind.VIDEO, 7, ends + timedelta(seconds=99), 24
        ),  # no pace yet: the line as before
    )
    embed: discord.Embed = notice_embed(Notice("anonce", "acc", ExpiringSoon(items), NOW))
    text = embed.description or ""
    assert "at your pace (≈ 12 a day), about **40** of them will expire unused" in text
    assert "use them or lose them" in text
    assert "at your pace (≈ 1 a day) they will all be used in time" in text
    assert text.count("↳") == 2
