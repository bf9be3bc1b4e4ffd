"""`/credits` answers: one account in detail, or a summary of several."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import discord

from chat import limits
from chat.fmt import amount, relative_and_full, stamp
from chat.limits import safe
from minimax_api import AccountInfo, CreditBatch, Features
from minimax_api.problems import Problem
from usage.domain.outlook import Outlook
from usage.domain.snapshot import Pool
from usage.domain.team import Team
from usage.render.embeds import outlook_line, team_line

URGENT = timedelta(hours=24)
SOON = timedelta(hours=72)
MAX_BATCHES_SHOWN = 15


def urgency_colour(soonest: datetime | None, now: datetime) -> discord.Colour:
    """Red within 24 h, orange within 72 h, green later, grey when nothing expires."""
    if soonest is None:
        return discord.Colour.light_grey()
    left = soonest - now
    if left <= URGENT:
        return discord.Colour.red()
    if left <= SOON:
        return discord.Colour.orange()
    return discord.Colour.green()


def _batch_line(batch: CreditBatch) -> str:
    when = relative_and_full(batch.expires_at) if batch.expires_at else "no expiry given"
    return f"**{amount(batch.credit)}** credits · expires {when}"


def _batch_fields(title: str, batches: Sequence[CreditBatch]) -> list[tuple[str, str]]:
    if not batches:
        return [(title, "No unexpired batches.")]
    lines = [_batch_line(b) for b in batches[:MAX_BATCHES_SHOWN]]
    if hidden := batches[MAX_BATCHES_SHOWN:]:
        total = sum(b.credit or 0 for b in hidden)
        lines.append(f"…and {len(hidden)} more batches ({amount(total)} credits) expiring later.")
    blocks = limits.pack_lines(lines)
    return [(title if i == 0 else f"{title} (continued)", b) for i, b in enumerate(blocks)]


def credits_embed(
    features: Features,
    *,
    account: str | None,
    now: datetime,
    account_info: AccountInfo | None = None,
    outlooks: Sequence[Outlook] = (),
) -> discord.Embed:
    """The full picture of one account's credits, with what the pace says under the balance."""
    batches = features.active_batches(now)
    soonest = features.soonest_expiry(now)
    title = f"Credits · {account}" if account else "Credits"
    lines = [f"**{amount(features.total_credits)}** {Pool.VIDEO.credits}"]
    lines += [outlook_line(o) for o in outlooks]
    if features.plan_name or features.is_paid is not None:
        plan = safe(features.plan_name, 100) if features.plan_name else "Unknown plan"
        paid = {True: " (paid)", False: " (not paid)", None: ""}[features.is_paid]
        lines.append(f"Plan: **{plan}**{paid}")
    if features.expire_text:
        lines.append(f"> {safe(features.expire_text, 500)}")
    lines.append(f"Fetched {stamp(features.fetched_at)}")
    embed = discord.Embed(
        title=limits.clip(title, limits.TITLE),
        description="\n".join(lines),
        colour=urgency_colour(soonest, now),
        timestamp=features.fetched_at,
    )
    fields = _batch_fields("Video/image credit batches", batches)
    if features.audio is not None:
        audio_total = f"**{amount(features.audio.total)}** {Pool.AUDIO.credits}"
        audio_batches = features.active_audio_batches(now)
        fields.append(("Audio (minimax.io/audio)", audio_total))
        if audio_batches:
            fields.extend(_batch_fields("Audio credit batches", audio_batches))
    video, image = amount(features.queue_length), amount(features.image_queue_length)
    queues = f"Video: **{video}** · Image: **{image}**"
    fields.append(("Queue sizes", queues))
    if account_info and account_info.session_expires_at:
        fields.append(
            (
                "MiniMax session",
                f"Expires {relative_and_full(account_info.session_expires_at)}; "
                "re-add the account at useapi.net before then.",
            )
        )
    for name, value in fields:
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text="useapi.net · MiniMax")
    return embed


def summary_embeds(
    results: Sequence[tuple[str, Features | Problem]],
    *,
    now: datetime,
    teams: Sequence[Team] = (),
) -> list[discord.Embed]:
    """One field per account with its balance and soonest expiry, or what went wrong; under
    the title, a line per pool saying which account to use next (`teams`)."""
    soonest_all = [
        s
        for _, f in results
        if isinstance(f, Features) and (s := f.soonest_expiry(now)) is not None
    ]
    fields: list[tuple[str, str]] = []
    for account, f in results:
        name = safe(account, limits.FIELD_NAME)
        if isinstance(f, Problem):
            fields.append((name, f"⚠️ {f.title}. {f.advice}"))
            continue
        soonest = f.soonest_expiry(now)
        expiry = f"soonest expiry {relative_and_full(soonest)}" if soonest else "nothing expiring"
        audio = f" · **{amount(f.audio.total)}** audio" if f.audio else ""
        fields.append((name, f"**{amount(f.total_credits)}** credits{audio} · {expiry}"))
    lines = [team_line(t) for t in teams]
    lines.append("Use `/credits account:<name>` for one account's batches and queues.")
    template = discord.Embed(
        title=f"Credits · {len(results)} accounts",
        description=limits.clip("\n".join(lines), limits.DESCRIPTION),
        colour=urgency_colour(min(soonest_all, default=None), now),
        timestamp=now,
    )
    return limits.paginate(template, fields)
