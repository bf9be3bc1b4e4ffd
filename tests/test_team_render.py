"""The team view rendered (pure): /usage and the digest of several accounts, the /credits
summary's line, whole credits, and Discord's limits with many accounts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import discord

from credits.embeds import summary_embeds
from minimax_api import Features, parse_features
from minimax_api.problems import Problem
from state.moments import to_epoch
from testbed.upstream import sample_features
from tests.support.checks import message_problems
from usage.domain.forecast import forecast
from usage.domain.outlook import Outlook
from usage.domain.pace import Gathering, Pace
from usage.domain.snapshot import Batch, Pool
from usage.domain.team import Team, team
from usage.render.embeds import (
    MAX_STEPS,
    order_words,
    outlook_line,
    pace_words,
    team_line,
    team_lines,
    usage_embeds,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
D = timedelta(days=1)
V = Pool.VIDEO


def paced(per_day: float, *batches: tuple[float, float], pool: Pool = V) -> Outlook:
    held = [Batch(pool, amount, NOW + days * D) for amount, days in batches]
    total = sum(a for a, _ in batches)
    return Outlook(pool, Pace(per_day, 7, per_day * 7), forecast(held, per_day, NOW), total)


def hand_example() -> Team:
    """The example of tests/test_team.py: at each account's own pace 160 credits expire
    unused, spending from the first-expiring account 110; b until day 2, a until day 5, b
    until day 10, a until day 18."""
    t = team({"a": paced(10, (100, 5), (120, 20)), "b": paced(5, (60, 2), (100, 10))}, NOW)
    assert t is not None
    return t


def on(days: float, style: str = "f") -> str:
    return f"<t:{to_epoch(NOW + days * D)}:{style}>"


def sendable(embeds: list[discord.Embed]) -> None:
    for embed in embeds:
        assert (
            message_problems({"embeds": [embed.to_dict()], "allowed_mentions": {"parse": []}}) == []
        )


def test_the_combined_usage_names_each_batch_and_gives_both_figures_and_the_order() -> None:
    t = hand_example()
    [embed] = usage_embeds(
        title="Usage · 2 accounts",
        days=7,
        spent={V: 105.0},
        outlooks=[t.outlook],
        per_account=[("a", "…"), ("b", "…")],
        teams=[t],
        now=NOW,
        chart=False,
    )
    text = embed.description or ""
    assert (
        "At each account's own pace (≈ 15 video/image credits/day in all), about **160** "
        "credits will expire unused." in text
    )
    assert (
        "If the team spends from the account whose credits expire first, about **110** "
        f"(50 fewer): use **b** until {on(2)}, then **a** until {on(5)}, then **b** until "
        f"{on(10)}, then **a** until {on(18)}." in text
    )
    batches = [line for line in text.splitlines() if line.startswith("⏳")]
    assert [re.match(r"⏳ \*\*(\w+)\*\* · ", line)[1] for line in batches] == [  # type: ignore[index]
        "b",
        "a",
        "b",
        "a",
    ]
    # each batch at its own account's pace, as the account's own view says it
    assert batches[0].startswith("⏳ **b** · **60** video/image credits expire <t:")
    assert [re.search(r"about \*\*(\d+)\*\* unused", line)[1] for line in batches[:3]] == [  # type: ignore[index]
        "50",
        "50",
        "60",
    ]
    assert batches[3].endswith(f"used up {on(17, 'R')}")
    assert embed.colour == discord.Colour.red()


def test_the_credits_summary_says_it_in_one_line() -> None:
    good = parse_features(sample_features(batches_in_hours=[5], now=NOW))
    results: list[tuple[str, Features | Problem]] = [("a", good), ("b", good)]
    [embed] = summary_embeds(results, now=NOW, teams=[hand_example()])
    first, *rest = (embed.description or "").splitlines()
    assert first == (
        "At each account's own pace about **160** video/image credits expire unused; if the "
        "team spends from the account whose credits expire first, about **110** (50 fewer): "
        f"use **b** until {on(2)}, then **a** until {on(5)}, then **b** until {on(10)}, then "
        f"**a** until {on(18)}."
    )
    assert rest == ["Use `/credits account:<name>` for one account's batches and queues."]
    assert [f.name for f in embed.fields] == ["a", "b"]


def test_counts_of_credits_are_whole() -> None:
    """8.3 credits unused is "8"; 35.6 is "36"."""
    small = paced(1.7, (10, 1))  # 10 - 1.7 = 8.3 expire
    assert small.forecast is not None and small.forecast.total_unused == 8.3
    assert "about **8** credits will expire unused" in outlook_line(small)
    assert pace_words(small).endswith("~8 to expire unused")
    t = team({"a": small, "b": paced(1.4, (37, 1))}, NOW)  # 37 - 1.4 = 35.6
    assert t is not None
    text = "\n".join(team_lines(t))
    assert "about **44** credits will expire unused" in text  # 8 + 36
    [embed] = usage_embeds(
        title="t", days=7, spent={V: 2.4}, outlooks=[t.outlook], teams=[t], now=NOW, chart=False
    )
    assert not re.search(r"\*\*\d+\.\d+\*\*", embed.description or ""), embed.description
    assert "Spent in the last 7 days: **2** video/image credits." in (embed.description or "")


def test_accounts_gathering_history_are_said_not_counted() -> None:
    gathering = Outlook(V, Gathering(NOW - timedelta(hours=2)), None, 50)
    t = team({"a": paced(10, (100, 5)), "b": paced(5, (60, 2)), "new": gathering}, NOW)
    assert t is not None
    lines = team_lines(t)
    assert lines[-1] == "Not counted yet (still gathering history): **new**."
    alone = team({"a": paced(10, (100, 5)), "new": gathering}, NOW)
    assert alone is not None
    assert not any("If the team spends" in line for line in team_lines(alone)), "one paced"


def test_nothing_lost_either_way_says_so() -> None:
    t = team({"a": paced(50, (100, 5)), "b": paced(50, (60, 2))}, NOW)
    assert t is not None
    text = "\n".join(team_lines(t))
    assert "all of them will be used in time" in text
    assert "expire first, none: use **b** until" in text
    assert team_line(t) == "At each account's own pace all video/image credits are used in time."


def test_audio_gets_its_own_lines() -> None:
    t = team({"a": paced(1, (20, 5), pool=Pool.AUDIO), "b": paced(1, (5, 2), pool=Pool.AUDIO)}, NOW)
    assert t is not None
    assert all(line.startswith("Audio: ") for line in team_lines(t))
    assert team_line(t).startswith("Audio: At each account's own pace about **18** audio credits")


def thirty() -> Team:
    """30 accounts, each with three batches expiring in turn: 90 steps."""
    found = team(
        {
            f"account-{i:02d}-" + "x" * 30: paced(
                3, (20, 1 + i / 10), (20, 5 + i / 10), (20, 9 + i)
            )
            for i in range(30)
        },
        NOW,
    )
    assert found is not None
    return found


def test_thirty_accounts_clip_the_order_and_stay_within_discords_limits() -> None:
    t = thirty()
    assert len(t.order) > MAX_STEPS
    words = order_words(t)
    assert words.count("until <t:") == MAX_STEPS
    assert words.endswith(f", …and {len(t.order) - MAX_STEPS} more")
    assert len(words) <= 700
    short = order_words(t, budget=300)
    shown = short.count("until <t:")
    assert 1 <= shown < MAX_STEPS and short.endswith(f"…and {len(t.order) - shown} more")
    assert len(short) <= 300
    per_account = [(name, "x" * 900) for name in t.paced]
    embeds = usage_embeds(
        title="Weekly digest",
        days=7,
        spent={V: 100.0},
        outlooks=[t.outlook],
        per_account=per_account,
        teams=[t],
        now=NOW,
        chart=True,
    )
    assert "…and 80 more batches." in (embeds[0].description or "")
    assert len([f for e in embeds for f in e.fields]) == 30
    sendable(embeds)
    good = parse_features(sample_features(batches_in_hours=[5], now=NOW))
    summary = summary_embeds([(n, good) for n in t.paced], now=NOW, teams=[t])
    assert (summary[0].description or "").count("\n") == 1, "one line, then the hint"
    sendable(summary)
