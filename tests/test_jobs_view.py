"""Where the credits go (pure): the jobs view from stored figures, and its embed."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import discord
from PIL import Image

from tests.support.checks import message_problems
from usage.domain.jobs_view import Tally, causes, jobs_view
from usage.render.jobs import jobs_embed
from usage.render.jobs_chart import alt_text, render_jobs_chart, series


def shown(embed: discord.Embed) -> dict[str, Any]:
    return dict(embed.to_dict())


OUTCOMES = {200: 80, 201: 2, 412: 10, 596: 5, 429: 2, 504: 1, 418: 1}
BY_MODEL = {"23200": 60, "mystery-model": 21, "": 20}
COSTS = {"23200": 25, "23000": 10}


def test_failures_are_grouped_by_cause_in_words_most_first() -> None:
    found = causes(OUTCOMES)
    assert [(c.words, c.codes, c.jobs) for c in found] == [
        ("out of credits", (412,), 10),
        ("session rejected or account on hold", (596,), 5),
        ("busy (too many jobs at once)", (429,), 2),
        ("MiniMax or useapi.net unavailable", (504,), 1),
        ("code 418", (418,), 1),
    ]
    assert found[1].advice and "re-add the account at useapi.net" in found[1].advice


def test_the_view_counts_jobs_rates_and_estimated_credits() -> None:
    """101 jobs, 82 of them 2xx (81 %); 23200 (Hailuo 02) at 25 credits a job: 60 x 25 = 1,500
    credits; the other models' costs are unknown and kept, not dropped."""
    view = jobs_view(7, OUTCOMES, BY_MODEL, {"a": Tally(70, 60), "b": Tally(31, 22)}, COSTS)
    assert (view.total.jobs, view.total.succeeded) == (101, 82)
    assert [(m.model, m.jobs, m.credits) for m in view.models] == [
        ("23200", 60, 1500.0),
        ("mystery-model", 21, None),
        ("", 20, None),
    ]
    assert view.spent == 1500
    embed = shown(jobs_embed(view, "Jobs · 2 accounts"))
    assert embed["description"] == (
        "**101** jobs in the last 7 days, 81% succeeded (82). Estimated cost: ≈ **1,500** credits."
    )
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["By model"].splitlines() == [
        "Hailuo 02, text to video: 60 jobs · ≈ 1,500 credits",
        "mystery-model: 21 jobs · unknown cost",
        "model not named: 20 jobs · unknown cost",
    ]
    assert fields["By account"].splitlines() == [
        "a: 70 jobs · 86% succeeded",
        "b: 31 jobs · 71% succeeded",
    ]
    assert fields["Failed jobs by cause"].splitlines()[0] == (
        "out of credits (412): 10 jobs: top up the account at hailuoai.video or use another"
    )


def test_no_jobs_says_so_and_many_models_stay_within_discord_limits() -> None:
    empty = shown(jobs_embed(jobs_view(7, {}, {}, {}, {}), "Jobs · a"))
    assert empty["description"].startswith("No jobs in the last 7 days")
    many = {f"model-{i:03d}-" + "x" * 80: 1000 - i for i in range(200)}
    accounts = {f"acct-{i:03d}-" + "y" * 80: Tally(10, 5) for i in range(200)}
    outcomes = {200: 5000, **{400 + i: 3 for i in range(200)}}
    view = jobs_view(90, outcomes, many, accounts, {})
    embed = jobs_embed(view, "Jobs · " + "z" * 300)
    assert not message_problems({"embeds": [embed.to_dict()], "allowed_mentions": {"parse": []}})
    assert "…and 189 more models" in shown(embed)["fields"][0]["value"]  # 11 fit


def test_jobs_per_day_are_charted_stacked_by_model_with_alt_text() -> None:
    since, until = date(2026, 11, 26), date(2026, 12, 2)
    by_day = {
        date(2026, 11, 27): {"23200": 5, "23000": 2},
        date(2026, 12, 1): {"23200": 1, **{f"m{i}": 1 for i in range(6)}},
    }
    days, names, bars = series(by_day, since, until)
    assert len(days) == 7 and days[0] == since
    assert names[:2] == ["Hailuo 02, text to video", "T2V-01 (Hailuo 1.0 text…"]
    assert names[-1] == "other models" and len(names) == 6
    assert sum(bars["Hailuo 02, text to video"]) == 6 and bars["other models"][5] == 3
    png = render_jobs_chart("Jobs per day · a", by_day, since, until)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (800, 400)
        assert len(image.getcolors(100_000) or []) > 6, "bars in several colours"
    text = alt_text("Jobs per day · a", by_day, since, until)
    assert (
        "14 jobs in all" in text and "the busiest day 2026-11-27 with 7" in text
    )  # the first of two
    assert alt_text("x", {}, since, until) == "x: no jobs from 2026-11-26 to 2026-12-02."
