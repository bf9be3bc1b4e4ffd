"""The /usage chart: balance history, batch expiries and the projection, as a PNG (Pillow).

Pure: data in, PNG bytes out, no I/O and no Discord. The chart is an opaque dark card with a
light border, so it reads the same on Discord's dark (#313338) and light (#ffffff) themes.
Lines are drawn at twice the size and scaled down (smooth without a vector library); text is
drawn afterwards at full size, so it stays crisp.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import pairwise

from PIL import Image, ImageDraw, ImageFont

from usage.forecast import forecast, projected
from usage.pace import PACE_WINDOW, Pace, pace
from usage.snapshot import Pool, Snapshot
from usage.units import DAY, HOUR

WIDTH, HEIGHT = 800, 400
ALT_TEXT_LIMIT = 1024  # Discord's limit for an attachment's description
_SS = 2  # supersampling factor for lines

CARD = "#2b2d31"
BORDER = "#8e9297"
GRID = "#3b3d44"
AXIS = "#6d6f78"
TEXT = "#f2f3f5"
MUTED = "#b5bac1"
BALANCE = "#4cb8ff"
PROJECTED = "#ffb347"
EXPIRY = "#ff8a9a"
NOW = "#b5bac1"
TEXT_COLOURS = {
    "text": TEXT,
    "muted": MUTED,
    "balance": BALANCE,
    "projected": PROJECTED,
    "expiry": EXPIRY,
    "now": NOW,
}
"""Every colour text is drawn in; each must reach 4.5:1 against CARD."""
LINE_COLOURS = {"balance": BALANCE, "projected": PROJECTED, "expiry": EXPIRY, "now": NOW}

Point = tuple[datetime, float]


@dataclass(frozen=True)
class Expiry:
    """A batch's end: `amount` credits, of which `unused` expire at the pace (None: unknown)."""

    at: datetime
    amount: float
    unused: float | None = None


@dataclass(frozen=True)
class ChartData:
    """What one chart shows: one pool's balance (of an account, or the sum of several)."""

    title: str
    now: datetime
    history: tuple[Point, ...] = ()
    expiries: tuple[Expiry, ...] = ()
    projected: tuple[Point, ...] = ()
    per_day: float | None = None  # None: not enough history for a pace yet
    unit: str = "credits"

    @property
    def balance(self) -> float | None:
        """The latest balance in the history."""
        known = [p for p in self.history if math.isfinite(p[1])]
        return max(known, key=lambda p: p[0])[1] if known else None

    @property
    def unused(self) -> float | None:
        known = [e.unused for e in self.expiries if e.unused is not None]
        return sum(known) if known else None


# --- building the data -------------------------------------------------------------------


def usage_chart(
    history: Sequence[Snapshot],
    pool: Pool,
    now: datetime,
    *,
    title: str,
    unit: str | None = None,
    window: timedelta = PACE_WINDOW,
    since: datetime | None = None,
) -> ChartData:
    """The chart of one pool of one account (or of the sum of several): its history from
    `since`, live batches and the forecast at the pace over `window`."""
    ordered = sorted((s for s in history if s.at <= now), key=lambda s: s.at)
    shown = [s for s in ordered if since is None or s.at >= since]
    points = tuple((s.at, float(s.total(pool))) for s in shown)
    live = [b for b in ordered[-1].batches_of(pool) if b.ends_at > now] if ordered else []
    rate = pace(ordered, pool, now, window)
    per_day = rate.credits_per_day if isinstance(rate, Pace) else None
    ends: list[tuple[datetime, float, float | None]]
    if per_day is None:
        ends = [(b.ends_at, max(0.0, b.amount), None) for b in live]
        proj: tuple[Point, ...] = ()
    else:
        result = forecast(live, per_day, now)
        ends = [(r.batch.ends_at, max(0.0, r.batch.amount), r.unused) for r in result.batches]
        # Credits without an end time (a total above the batches' sum) stay on top of it.
        extra = max(0.0, points[-1][1] - result.balance) if points else 0.0
        proj = tuple((t, v + extra) for t, v in projected(live, per_day, now))
    merged: dict[datetime, Expiry] = {}
    for at, amount, unused in sorted(ends, key=lambda e: e[0]):
        if (same := merged.get(at)) is not None:  # batches ending together are one marker
            amount += same.amount
            unused = None if unused is None or same.unused is None else unused + same.unused
        merged[at] = Expiry(at, amount, unused)
    return ChartData(
        title=title,
        now=now,
        history=points,
        expiries=tuple(merged.values()),
        projected=proj,
        per_day=per_day,
        unit=unit or ("audio credits" if pool is Pool.AUDIO else "video/image credits"),
    )


# --- text --------------------------------------------------------------------------------


def _credits(value: float, whole_from: float = 10) -> str:
    """2.5 · 12 · 1,234 · 1.2M: one decimal below `whole_from`, whole numbers from it on."""
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:,.1f}".rstrip("0").rstrip(".") + "M"
    if abs(value) >= whole_from or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.1f}".rstrip("0").rstrip(".")


def _day(when: datetime) -> str:
    when = when.astimezone(UTC)
    return f"{when.day} {when:%b %Y}"


def _moment(when: datetime) -> str:
    when = when.astimezone(UTC)
    return f"{when.day} {when:%b %Y %H:%M} UTC"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary(data: ChartData) -> str:
    """One line under the title: balance, pace and what expires unused."""
    parts = []
    if data.balance is not None:
        parts.append(f"Balance {_credits(data.balance)}")
    if data.per_day is None:
        parts.append("pace: after 24 h of history")
    else:
        parts.append(f"spending {_credits(data.per_day, 100)}/day")
        unused = data.unused
        if unused is not None:
            parts.append(
                f"{_credits(unused)} will expire unused"
                if unused >= 0.5
                else "nothing expires unused"
            )
    return " · ".join(parts) if data.history or data.expiries else ""


def alt_text(data: ChartData, limit: int = ALT_TEXT_LIMIT) -> str:
    """A plain description of the chart for the attachment's description (≤ `limit` chars)."""
    unit, title = _clip(data.unit, 60), _clip(data.title, 200)
    times = [t for t, _ in (*data.history, *data.projected)]
    if data.history:
        first, last = min(t for t, _ in data.history), max(t for t, _ in data.history)
        shown = f"Chart of {title}: {unit} balance from {_day(first)} to {_day(last)}"
    else:
        shown = f"Chart of {title}: no {unit} balance recorded yet"
    if data.projected:
        shown += f", projected at the current pace to {_day(max(times))}"
    sentences = [shown + " (UTC)."]
    if data.balance is not None:
        sentences.append(f"Current balance: {_credits(data.balance)} {unit}.")
    if data.per_day is None:
        sentences.append("Pace: not known yet, it needs 24 hours of history.")
    else:
        sentences.append(f"Pace: {_credits(data.per_day, 100)} {unit} a day.")
    if data.expiries:
        items = []
        for e in data.expiries[:8]:
            item = f"{_credits(e.amount)} on {_moment(e.at)}"
            if e.unused is not None:
                item += f" ({_credits(e.unused)} unused)" if e.unused >= 0.5 else " (all used)"
            items.append(item)
        if len(data.expiries) > 8:
            items.append(f"and {len(data.expiries) - 8} more")
        sentences.append("Expiring: " + "; ".join(items) + ".")
        unused = data.unused
        if unused is not None:
            sentences.append(
                f"At this pace {_credits(unused)} {unit} expire unused."
                if unused >= 0.5
                else "At this pace nothing expires unused."
            )
    else:
        sentences.append("No credits are due to expire.")
    return _clip(" ".join(sentences), limit)


# --- drawing -----------------------------------------------------------------------------


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _mix(colour: str, base: str, share: float) -> tuple[int, int, int]:
    a, b = _rgb(colour), _rgb(base)
    return tuple(round(x * share + y * (1 - share)) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _nice_step(raw: float) -> float:
    """1, 2, 2.5 or 5 times a power of ten, at least `raw` (and at least 1)."""
    if raw <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


_TIME_STEPS = [h * HOUR for h in (1, 3, 6, 12)] + [d * DAY for d in (1, 2, 3, 7, 14, 28, 56)]


def _time_ticks(t0: datetime, t1: datetime, most: int) -> list[datetime]:
    span = t1 - t0
    step = next((s for s in _TIME_STEPS if span / s <= most), _TIME_STEPS[-1])
    unit = step.total_seconds()
    start = math.ceil(t0.timestamp() / unit) * unit
    if step >= 7 * DAY:  # weeks from Monday
        monday = 4 * DAY.total_seconds()  # 1970-01-05 was a Monday
        start = math.ceil((t0.timestamp() - monday) / unit) * unit + monday
    ticks = []
    t = start
    while t <= t1.timestamp():
        ticks.append(datetime.fromtimestamp(t, UTC))
        t += unit
    return ticks


def _tick_label(when: datetime, step_below_day: bool) -> str:
    when = when.astimezone(UTC)
    if step_below_day and (when.hour or when.minute):
        return f"{when:%H:%M}"
    return f"{when.day} {when:%b}"


def _finite(points: Iterable[Point]) -> list[Point]:
    return sorted(((t, v) for t, v in points if math.isfinite(v)), key=lambda p: p[0])


def _dashed(
    draw: ImageDraw.ImageDraw,
    points: Sequence[tuple[float, float]],
    fill: str,
    width: int,
    dash: float,
    gap: float,
) -> None:
    """A dashed polyline; the dash pattern runs on across corners."""
    on, left = True, dash
    for (x0, y0), (x1, y1) in pairwise(points):
        length = math.hypot(x1 - x0, y1 - y0)
        pos = 0.0
        while pos < length:
            step = min(left, length - pos)
            if on:
                a, b = pos / length, (pos + step) / length
                draw.line(
                    [
                        (x0 + (x1 - x0) * a, y0 + (y1 - y0) * a),
                        (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b),
                    ],
                    fill=fill,
                    width=width,
                )
            pos += step
            left -= step
            if left <= 1e-9:
                on = not on
                left = dash if on else gap


@dataclass(frozen=True)
class _Frame:
    left: float
    top: float
    right: float
    bottom: float
    t0: float
    t1: float
    v1: float

    def x(self, when: datetime) -> float:
        return self.left + (when.timestamp() - self.t0) / (self.t1 - self.t0) * (
            self.right - self.left
        )

    def y(self, value: float) -> float:
        value = min(max(value, 0.0), self.v1)
        return self.bottom - value / self.v1 * (self.bottom - self.top)


def render_chart(data: ChartData) -> bytes:
    """The chart as PNG bytes, WIDTH by HEIGHT pixels."""
    history = _finite(data.history)
    proj = _finite(data.projected)
    expiries = sorted((e for e in data.expiries if math.isfinite(e.amount)), key=lambda e: e.at)
    small, body, big = _font(12), _font(13), _font(17)

    # Ranges: from the first point to the last projected point or expiry, and 0 to the top.
    times = [t for t, _ in (*history, *proj)] + [e.at for e in expiries] + [data.now]
    t0, t1 = min(times), max(times)
    if t1 - t0 < 2 * HOUR:
        t0, t1 = t0 - 12 * HOUR, t1 + 12 * HOUR
    pad = (t1 - t0) * 0.02
    t0, t1 = t0 - pad, t1 + pad
    top_value = max([v for _, v in (*history, *proj)] + [0.0])
    step = _nice_step(top_value / 4)
    v1 = max(step, math.ceil(top_value * 1.08 / step) * step)
    value_ticks = [i * step for i in range(round(v1 / step) + 1)]
    tick_labels = [_credits(v) for v in value_ticks]
    label_w = max(small.getlength(s) for s in tick_labels)

    f = _Frame(
        left=16 + label_w + 8,
        top=88,
        right=WIDTH - 20,
        bottom=HEIGHT - 46,
        t0=t0.timestamp(),
        t1=t1.timestamp(),
        v1=v1,
    )

    # Lines, at _SS times the size.
    big_img = Image.new("RGB", (WIDTH * _SS, HEIGHT * _SS), CARD)
    d = ImageDraw.Draw(big_img)

    def s(xy: tuple[float, float]) -> tuple[float, float]:
        return xy[0] * _SS, xy[1] * _SS

    for v in value_ticks:
        y = f.y(v)
        d.line([s((f.left, y)), s((f.right, y))], fill=GRID if v else AXIS, width=_SS)
    most_ticks = max(2, int((f.right - f.left) // 78))
    ticks = _time_ticks(t0, t1, most_ticks)
    below_day = len(ticks) > 1 and ticks[1] - ticks[0] < DAY
    for t in ticks:
        x = f.x(t)
        d.line([s((x, f.top)), s((x, f.bottom))], fill=GRID, width=_SS)

    for e in expiries:
        x = f.x(e.at)
        _dashed(d, [s((x, f.top)), s((x, f.bottom))], EXPIRY, 3, 5 * _SS, 4 * _SS)

    now_x = f.x(data.now)
    d.line([s((now_x, f.top)), s((now_x, f.bottom + 4))], fill=NOW, width=_SS)

    if history:
        line = [s((f.x(t), f.y(v))) for t, v in history]
        if len(line) > 1:
            area = [*line, (line[-1][0], f.bottom * _SS), (line[0][0], f.bottom * _SS)]
            d.polygon(area, fill=_mix(BALANCE, CARD, 0.16))
            d.line(line, fill=BALANCE, width=2 * _SS + 1, joint="curve")
        r = 3 * _SS
        x, y = line[-1]
        d.ellipse([x - r, y - r, x + r, y + r], fill=BALANCE)

    if len(proj) > 1:
        _dashed(
            d,
            [s((f.x(t), f.y(v))) for t, v in proj],
            PROJECTED,
            2 * _SS + 1,
            7 * _SS,
            5 * _SS,
        )

    img = big_img.reduce(_SS)
    d = ImageDraw.Draw(img)

    # Text, at full size.
    d.rectangle([0, 0, WIDTH - 1, HEIGHT - 1], outline=BORDER, width=1)
    for v, label in zip(value_ticks, tick_labels, strict=True):
        d.text((f.left - 8, f.y(v)), label, fill=MUTED, font=small, anchor="rm")
    d.text((16, f.top - 10), data.unit, fill=MUTED, font=small, anchor="ls")
    now_w = small.getlength("now")
    placed = [(now_x - now_w / 2 - 6, now_x + now_w / 2 + 6)]
    d.text((now_x, f.bottom + 7), "now", fill=TEXT, font=small, anchor="mt")
    for t in ticks:
        x = f.x(t)
        label = _tick_label(t, below_day)
        w = small.getlength(label)
        box = (x - w / 2 - 4, x + w / 2 + 4)
        if (
            box[0] < f.left - 20
            or box[1] > WIDTH - 4
            or any(box[0] < b and a < box[1] for a, b in placed)
        ):
            continue
        placed.append(box)
        d.text((x, f.bottom + 7), label, fill=MUTED, font=small, anchor="mt")
    d.text((f.right, HEIGHT - 9), "dates in UTC", fill=MUTED, font=small, anchor="rs")

    _expiry_labels(d, f, expiries, small)
    _legend_and_title(d, data, bool(proj), expiries, big, body, small)
    if not history and not proj:
        d.text(
            ((f.left + f.right) / 2, (f.top + f.bottom) / 2),
            "No history yet: it starts with the next check.",
            fill=MUTED,
            font=body,
            anchor="mm",
        )

    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def _expiry_labels(
    d: ImageDraw.ImageDraw, f: _Frame, expiries: Sequence[Expiry], font: ImageFont.ImageFont
) -> None:
    """A flag at the top of each expiry marker: right of it, or left where the plot ends;
    a lower row when it would overlap another, left out when three rows are full."""
    rows: list[list[tuple[float, float]]] = [[], [], []]
    for e in expiries:
        label = _credits(e.amount)
        if e.unused is not None:
            label += f" ({_credits(e.unused)} unused)" if e.unused >= 0.5 else " (all used)"
        w = font.getlength(label)
        x = f.x(e.at)
        x0 = x + 5 if x + 5 + w <= f.right else max(f.left + 2, x - 5 - w)
        box = (x0 - 3, x0 + w + 3)
        for i, row in enumerate(rows):
            if all(box[1] <= a or b <= box[0] for a, b in row):
                row.append(box)
                y = f.top + 4 + i * 17
                d.rectangle([box[0], y - 1, box[1], y + 14], fill=CARD)
                d.text((x0, y), label, fill=EXPIRY, font=font)
                break


def _fit(text: str, font: ImageFont.ImageFont, room: float) -> str:
    """`text`, cut with an ellipsis to at most `room` pixels wide."""
    if font.getlength(text) <= room:
        return text
    lo, hi = 0, len(text)  # the longest prefix that fits, by bisection
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if font.getlength(text[:mid] + "…") <= room:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…" if lo else ""


def _legend_and_title(
    d: ImageDraw.ImageDraw,
    data: ChartData,
    has_projection: bool,
    expiries: Sequence[Expiry],
    big: ImageFont.ImageFont,
    body: ImageFont.ImageFont,
    small: ImageFont.ImageFont,
) -> None:
    entries: list[tuple[str, str, str]] = [("solid", BALANCE, "balance")]
    if has_projection:
        entries.append(("dash", PROJECTED, "at this pace"))
    if expiries:
        entries.append(("vdash", EXPIRY, "batch expires"))
    x = WIDTH - 16
    y = 22
    for kind, colour, label in reversed(entries):
        w = small.getlength(label)
        x -= w
        d.text((x, y), label, fill=MUTED, font=small, anchor="lm")
        x -= 6
        if kind == "solid":
            d.line([(x - 18, y), (x, y)], fill=colour, width=3)
            x -= 18
        elif kind == "dash":
            _dashed(d, [(x - 19, y), (x, y)], colour, 3, 6, 4)
            x -= 19
        else:
            _dashed(d, [(x - 3, y - 8), (x - 3, y + 8)], colour, 2, 4, 3)
            x -= 6
        x -= 14
    d.text((16, y), _fit(data.title, big, x - 16 - 8), fill=TEXT, font=big, anchor="lm")
    d.text((16, 50), summary(data), fill=MUTED, font=body, anchor="lm")
