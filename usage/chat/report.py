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
    chart; several accounts are summed, each with its own line. A digest gives every
    account its balance and what expires within 7 days as well."""
    since = now - timedelta(days=period)
    start = min(since, now - window)
    histories = {n: await history.of(n, start) for n in names}
    total = combine(histories) if len(names) > 1 else histories[names[0]]
    pools = [p for p in Pool if any(s.total(p) or s.batches_of(p) for s in total)]
    outlooks = [o for p in pools if (o := outlook(total, p, now, window))]
    if title is None:
        title = f"Usage · {names[0]}" if len(names) == 1 else f"Usage · {len(names)} accounts"
    chart = await chart_file(total, pools, outlooks, now, title=title, since=since)
    per_account = []
    if digest or len(names) > 1:
        for name, own in histories.items():
            theirs = [o for p in pools if (o := outlook(own, p, now, window))]
            text = (
                account_digest(own[-1] if own else None, theirs, now)
                if digest
                else "\n".join(outlook_line(o) for o in theirs)
            )
            per_account.append((name, text))
    embeds = usage_embeds(
        title=title,
        days=period,
        spent={p: spending(total, p, since, now) for p in pools},
        outlooks=outlooks,
        per_account=per_account,
        now=now,
        chart=chart is not None,
    )
    return embeds, chart
