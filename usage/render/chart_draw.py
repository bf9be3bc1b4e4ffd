"""The usage chart as a PNG (Pillow): the balance, the batch expiries and the projection.

Pure: data in, PNG bytes out, no I/O and no Discord. The chart is an opaque dark card with a
light border, so it reads the same on Discord's dark (#313338) and light (#ffffff) themes.
Lines are drawn at twice the size and scaled down (smooth without a vector library); text is
drawn afterwards at full size, so it stays crisp.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from functools import cache
from itertools import pairwise

from PIL import Image, ImageDraw, ImageFont

from chat.fmt import amount
from usage.domain.units import DAY
from usage.render.chart import ChartData, Expiry, Point, captions, expiry_label
from usage.render.chart_axes import Frame, tick_label, time_range, time_ticks, value_ticks

WIDTH, HEIGHT = 800, 400
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


Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def _font(size: int) -> Font:
    return ImageFont.load_default(size=size)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _mix(colour: str, base: str, share: float) -> tuple[int, int, int]:
    a, b = _rgb(colour), _rgb(base)
    return tuple(round(x * share + y * (1 - share)) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


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


def render_chart(data: ChartData) -> bytes:
    """The chart as PNG bytes, WIDTH by HEIGHT pixels."""
    history = _finite(data.history)
    proj = _finite(data.projected)
    expiries = sorted((e for e in data.expiries if math.isfinite(e.amount)), key=lambda e: e.at)
    small, body, big = _font(12), _font(13), _font(17)

    # Ranges: from the first point to the last projected point or expiry, and 0 to the top.
    times = [t for t, _ in (*history, *proj)] + [e.at for e in expiries] + [data.now]
    t0, t1 = time_range(times)
    values = value_ticks(max([v for _, v in (*history, *proj)] + [0.0]))
    tick_labels = [amount(v, whole_from=10, compact=True) for v in values]
    label_w = max(small.getlength(s) for s in tick_labels)

    f = Frame(
        left=16 + label_w + 8,
        top=88,
        right=WIDTH - 20,
        bottom=HEIGHT - 46,
        t0=t0.timestamp(),
        t1=t1.timestamp(),
        v1=values[-1],
    )

    # Lines, at _SS times the size.
    big_img = Image.new("RGB", (WIDTH * _SS, HEIGHT * _SS), CARD)
    d = ImageDraw.Draw(big_img)

    def s(xy: tuple[float, float]) -> tuple[float, float]:
        return xy[0] * _SS, xy[1] * _SS

    for v in values:
        y = f.y(v)
        d.line([s((f.left, y)), s((f.right, y))], fill=GRID if v else AXIS, width=_SS)
    most_ticks = max(2, int((f.right - f.left) // 78))
    ticks = time_ticks(t0, t1, most_ticks)
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
    for v, label in zip(values, tick_labels, strict=True):
        d.text((f.left - 8, f.y(v)), label, fill=MUTED, font=small, anchor="rm")
    d.text((16, f.top - 10), data.unit, fill=MUTED, font=small, anchor="ls")
    now_w = small.getlength("now")
    placed = [(now_x - now_w / 2 - 6, now_x + now_w / 2 + 6)]
    d.text((now_x, f.bottom + 7), "now", fill=TEXT, font=small, anchor="mt")
    for t in ticks:
        x = f.x(t)
        label = tick_label(t, below_day)
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
    d: ImageDraw.ImageDraw, f: Frame, expiries: Sequence[Expiry], font: Font
) -> None:
    """A flag at the top of each expiry marker: right of it, or left where the plot ends;
    a lower row when it would overlap another, left out when three rows are full."""
    rows: list[list[tuple[float, float]]] = [[], [], []]
    for e in expiries:
        label = expiry_label(e)
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


def _fit(text: str, font: Font, room: float) -> str:
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
    big: Font,
    body: Font,
    small: Font,
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
    d.text((16, 50), captions(data).summary, fill=MUTED, font=body, anchor="lm")
