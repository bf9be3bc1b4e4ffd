"""`/usage view:jobs`: the job statistics of the named accounts over a period, as the jobs
embed and the jobs-per-day picture (drawn off the event loop), with the models' costs."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

import discord

from usage.domain.jobs import JobStore
from usage.domain.jobs_view import JobsView, Tally, jobs_view
from usage.render.jobs import jobs_embed
from usage.render.jobs_chart import alt_text, render_jobs_chart

JOBS_FILE = "jobs.png"


def window(period: int, now: datetime) -> tuple[date, date]:
    """The last `period` days, today (UTC) included."""
    until = now.date()
    return until - timedelta(days=period - 1), until


async def jobs_summary(
    jobs: JobStore,
    names: Sequence[str],
    costs: Mapping[str, float | None],
    *,
    period: int,
    now: datetime,
) -> JobsView:
    """The jobs of `names` over the last `period` days (today, UTC, included)."""
    since, until = window(period, now)
    outcomes = await jobs.outcomes(names, since, until)
    by_model = await jobs.by_model(names, since, until)
    each = await jobs.by_account(names, since, until)
    accounts = {a: Tally(f.jobs, f.succeeded) for a, f in each.items()}
    return jobs_view(period, outcomes, by_model, accounts, costs)


async def jobs_report(
    jobs: JobStore,
    names: Sequence[str],
    costs: Mapping[str, float | None],
    *,
    period: int,
    now: datetime,
) -> tuple[list[discord.Embed], discord.File | None]:
    """The jobs of `names` over the last `period` days (today, UTC, included)."""
    since, until = window(period, now)
    outcomes = await jobs.outcomes(names, since, until)
    by_model = await jobs.by_model(names, since, until)
    accounts = {
        a: Tally(f.jobs, f.succeeded)
        for a, f in (await jobs.by_account(names, since, until)).items()
    }
    view = jobs_view(period, outcomes, by_model, accounts, costs)
    who = names[0] if len(names) == 1 else f"{len(names)} accounts"
    embed = jobs_embed(view, f"Jobs · {who}")
    if not view.total.jobs:
        return [embed], None
    by_day = await jobs.by_day(names, since, until)
    title = f"Jobs per day · {who}"
    png = await asyncio.to_thread(render_jobs_chart, title, by_day, since, until)
    embed.set_image(url=f"attachment://{JOBS_FILE}")
    picture = discord.File(
        io.BytesIO(png), filename=JOBS_FILE, description=alt_text(title, by_day, since, until)
    )
    return [embed], picture
