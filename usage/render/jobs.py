"""`/usage view:jobs`: where the credits go, as one embed: jobs and the success rate, jobs and
estimated credits per model, per account when there are several, failures by cause with what
to do."""

from __future__ import annotations

import discord

from chat import limits
from chat.limits import safe
from minimax_api import model_name
from usage.domain.jobs_view import JobsView, ModelSpend, Tally

UNKNOWN_MODEL = "model not named"
MAX_LINES = 12  # lines of one field


def _rate(t: Tally) -> str:
    rate = t.rate
    return "no jobs" if rate is None else f"{rate:.0f}% succeeded"


def _jobs(n: int) -> str:
    return f"{n:,} job{'' if n == 1 else 's'}"


def _model_line(m: ModelSpend) -> str:
    name = safe(model_name(m.model), 60) if m.model else UNKNOWN_MODEL
    cost = "unknown cost" if m.credits is None else f"≈ {round(m.credits):,} credits"
    return f"{name}: {_jobs(m.jobs)} · {cost}"


def _field(lines: list[str], more: str) -> str:
    """As many whole lines as fit a field (at most MAX_LINES), then how many more there are."""
    room = limits.FIELD_VALUE - 40  # for the "…and N more" line
    shown: list[str] = []
    for line in lines[:MAX_LINES]:
        if sum(len(s) + 1 for s in shown) + len(line) > room:
            break
        shown.append(line)
    if len(shown) < len(lines):
        shown.append(f"…and {len(lines) - len(shown)} more {more}")
    return limits.clip("\n".join(shown), limits.FIELD_VALUE)


def jobs_embed(view: JobsView, title: str) -> discord.Embed:
    period = f"the last {view.days} day{'' if view.days == 1 else 's'}"
    embed = discord.Embed(title=limits.clip(title, limits.TITLE), colour=discord.Colour.blurple())
    if not view.total.jobs:
        embed.description = (
            f"No jobs in {period} (useapi.net's statistics arrive 5 to 15 minutes after a job)."
        )
        return embed
    spent = f" Estimated cost: ≈ **{round(view.spent):,}** credits." if view.spent else ""
    embed.description = (
        f"**{view.total.jobs:,}** jobs in {period}, {_rate(view.total)} "
        f"({view.total.succeeded:,}).{spent}"
    )
    if view.models:
        lines = [_model_line(m) for m in view.models]
        embed.add_field(name="By model", value=_field(lines, "models"), inline=False)
    if len(view.accounts) > 1:
        lines = [
            f"{safe(a, 60)}: {_jobs(t.jobs)} · {_rate(t)}"
            for a, t in sorted(view.accounts.items(), key=lambda kv: (-kv[1].jobs, kv[0]))
        ]
        embed.add_field(name="By account", value=_field(lines, "accounts"), inline=False)
    if view.causes:
        lines = []
        for c in view.causes:
            codes = ", ".join(str(code) for code in c.codes)
            advice = f": {c.advice}" if c.advice else ""
            lines.append(f"{c.words} ({codes}): {_jobs(c.jobs)}{advice}")
        embed.add_field(name="Failed jobs by cause", value=_field(lines, "causes"), inline=False)
    embed.set_footer(
        text="From useapi.net's job statistics (5 to 15 minutes late). Credits are "
        "estimated at each model's cost per job, failed jobs included (an upper bound)."
    )
    return embed


def jobs_line(view: JobsView) -> str | None:
    """The digest's line of the jobs (None without any): how many, the success rate, and
    the causes of most failures."""
    if not view.total.jobs:
        return None
    line = f"🎬 Jobs: **{view.total.jobs:,}**, {_rate(view.total)}"
    if view.causes:
        top = ", ".join(f"{c.words} {c.jobs:,}" for c in view.causes[:3])
        line += f"; failed: {top}"
    return f"{line}."
