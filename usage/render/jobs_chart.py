"""Jobs per day, stacked by model, as a PNG: the picture of `/usage view:jobs`.

Pure: figures in, PNG bytes and alt text out. The same opaque dark card as the usage chart
(`chart_draw`), so it reads the same on Discord's dark and light themes; the five models with
most jobs get a colour each, the rest are "other models"."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date, timedelta

from PIL import Image, ImageDraw, ImageFont

from chat.limits import clip
from minimax_api import model_name
from usage.render.chart import ALT_TEXT_LIMIT
from usage.render.chart_axes import value_ticks
from usage.render.chart_draw import BORDER, CARD, GRID, HEIGHT, MUTED, TEXT, WIDTH

LEFT, RIGHT, TOP, BOTTOM = 60, 190, 50, 40
PALETTE = ("#4cb8ff", "#ffb347", "#7bd88f", "#ff8a9a", "#c9a0ff", "#b5bac1")
"""Bar colours, each 3:1 or more against CARD; the last is for the other models."""
TOP_MODELS = len(PALETTE) - 1
OTHER = "other models"
UNNAMED = "model not named"


def _label(model: str) -> str:
    return clip(model_name(model), 24) if model else UNNAMED


def series(
    by_day: Mapping[date, Mapping[str, int]], since: date, until: date
) -> tuple[list[date], list[str], dict[str, list[int]]]:
    """Every day of the window (no jobs: 0), the models shown in order, and each one's jobs
    per day; the models beyond TOP_MODELS are summed as OTHER."""
    days = [since + timedelta(days=i) for i in range((until - since).days + 1)]
    totals: dict[str, int] = {}
    for models in by_day.values():
        for model, jobs in models.items():
            totals[model] = totals.get(model, 0) + jobs
    ranked = sorted(totals, key=lambda m: (-totals[m], m))
    shown = ranked[:TOP_MODELS]
    names = [_label(m) for m in shown] + ([OTHER] if len(ranked) > TOP_MODELS else [])
    bars: dict[str, list[int]] = {name: [0] * len(days) for name in names}
    for i, day in enumerate(days):
        for model, jobs in by_day.get(day, {}).items():
            name = _label(model) if model in shown else OTHER
            bars[name][i] += jobs
    return days, names, bars


def colours(names: list[str]) -> list[str]:
    """Each shown model's colour; the other models' is the last of the palette."""
    return [PALETTE[-1] if n == OTHER else PALETTE[i] for i, n in enumerate(names)]


def alt_text(title: str, by_day: Mapping[date, Mapping[str, int]], since: date, until: date) -> str:
    days, names, bars = series(by_day, since, until)
    total = sum(sum(b) for b in bars.values())
    if not total:
        return clip(f"{title}: no jobs from {since} to {until}.", ALT_TEXT_LIMIT)
    busiest = max(range(len(days)), key=lambda i: sum(b[i] for b in bars.values()))
    parts = ", ".join(f"{n} {sum(bars[n]):,}" for n in names)
    text = (
        f"{title}: bars of jobs per day from {since} to {until}, stacked by model; "
        f"{total:,} jobs in all ({parts}); the busiest day {days[busiest]} with "
        f"{sum(b[busiest] for b in bars.values()):,}."
    )
    return clip(text, ALT_TEXT_LIMIT)


def render_jobs_chart(
    title: str, by_day: Mapping[date, Mapping[str, int]], since: date, until: date
) -> bytes:
    days, names, bars = series(by_day, since, until)
    image = Image.new("RGB", (WIDTH, HEIGHT), CARD)
    draw = ImageDraw.Draw(image)
    small, big = ImageFont.load_default(size=12), ImageFont.load_default(size=17)
    draw.rectangle([0, 0, WIDTH - 1, HEIGHT - 1], outline=BORDER)
    draw.text((LEFT, 16), clip(title, 70), fill=TEXT, font=big)
    top = max([sum(b[i] for b in bars.values()) for i in range(len(days))] + [1])
    ticks = value_ticks(top)
    scale_top = max(ticks[-1] if ticks else top, top)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(value: float) -> float:
        return TOP + plot_h * (1 - value / scale_top)

    for tick in ticks:
        y = y_of(tick)
        draw.line([LEFT, y, LEFT + plot_w, y], fill=GRID)
        draw.text((LEFT - 8, y), f"{tick:,.0f}", fill=MUTED, font=small, anchor="rm")
    slot = plot_w / max(len(days), 1)
    width = max(1.0, slot * 0.7)
    for i, day in enumerate(days):
        x = LEFT + slot * i + (slot - width) / 2
        base = 0
        for name, colour in zip(names, colours(names), strict=True):
            jobs = bars[name][i]
            if jobs:
                draw.rectangle([x, y_of(base + jobs), x + width, y_of(base)], fill=colour)
            base += jobs
        if len(days) <= 14 or i % max(1, len(days) // 10) == 0:
            draw.text(
                (x + width / 2, TOP + plot_h + 6),
                day.strftime("%d %b"),
                fill=MUTED,
                font=small,
                anchor="mt",
            )
    for row, (name, colour) in enumerate(zip(names, colours(names), strict=True)):
        y = TOP + row * 22
        draw.rectangle([WIDTH - RIGHT + 16, y, WIDTH - RIGHT + 28, y + 12], fill=colour)
        draw.text((WIDTH - RIGHT + 36, y + 6), name, fill=TEXT, font=small, anchor="lm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
