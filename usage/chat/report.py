"""The usage report shared by `/usage` and the digest: history read, forecast, chart drawn
off the event loop, embeds and the PNG attachment with its alt text."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from datetime import datetime, timedelta

import discord

from usage.domain.history import History
from usage.domain.outlook import Outlook, combine, outlook
from usage.domain.pace import spending
from usage.domain.snapshot import Pool, Snapshot
from usage.domain.team import Team, teams
from usage.render.chart import captions, usage_chart
from usage.render.chart_draw import render_chart
from usage.render.embeds import CHART_FILE, account_digest, outlook_line, usage_embeds


async def chart_file(
    history: Sequence[Snapshot],
    pools: Sequence[Pool],
    outlooks: Sequence[Outlook],
    now: datetime,
    *,
    title: str,
    since: datetime,
) -> discord.File | None:
    """The chart of the video/image pool (or the only pool there is) with its outlook from
    `outlooks`, alt text included."""
    if not history:
        return None
    pool = Pool.VIDEO if Pool.VIDEO in pools or not pools else pools[0]
    shown = next((o for o in outlooks if o.pool is pool), None)
    data = usage_chart(history, pool, shown, now, title=title, since=since)
    png = await asyncio.to_thread(render_chart, data)  # tens of ms: off the event loop
    alt_text = captions(data).alt_text
    return discord.File(io.BytesIO(png), filename=CHART_FILE, description=alt_text)


async def usage_report(
    history: History,
    names: Sequence[str],
    *,
    period: int,
    window: timedelta,
    now: datetime,
    title: str | None = None,
    digest: bool = False,
) -> tuple[list[discord.Embed], discord.File | None]:
    """Spending over the last `period` days, the pace over `window`, the forecast, and the
    chart; several accounts are summed, each with its own line, and get the team view
    (`usage.domain.team`) with the chart of its pooled forecast. A digest gives every
    account its balance and what expires within 7 days as well."""
    since = now - timedelta(days=period)
    start = min(since, now - window)
    histories = {n: await history.of(n, start) for n in names}
    several = len(names) > 1
    total = combine(histories) if several else histories[names[0]]
    pools = [p for p in Pool if any(s.total(p) or s.batches_of(p) for s in total)]
    outlooks = [o for p in pools if (o := outlook(total, p, now, window))]
    own = {
        n: [o for p in pools if (o := outlook(h, p, now, window))]
        for n, h in histories.items()
        if digest or several
    }
    found = teams(own, now) if several else []
    if title is None:
        title = f"Usage · {names[0]}" if not several else f"Usage · {len(names)} accounts"
    charted = [_charted(o, found) for o in outlooks]
    chart = await chart_file(total, pools, charted, now, title=title, since=since)
    per_account = [
        (
            name,
            account_digest(histories[name][-1] if histories[name] else None, theirs, now)
            if digest
            else "\n".join(outlook_line(o) for o in theirs),
        )
        for name, theirs in own.items()
    ]
    embeds = usage_embeds(
        title=title,
        days=period,
        spent={p: spending(total, p, since, now) for p in pools},
        outlooks=outlooks,
        per_account=per_account,
        teams=found,
        now=now,
        chart=chart is not None,
    )
    return embeds, chart


def _charted(summed: Outlook, teams: Sequence[Team]) -> Outlook:
    """What the chart draws of a pool: the team's pooled forecast when every account of it
    has a pace (its balance is then the summed one), else the summed history's outlook."""
    t = next((t for t in teams if t.pool is summed.pool), None)
    return t.outlook if t is not None and not t.gathering and len(t.paced) > 1 else summed
