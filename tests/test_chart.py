from __future__ import annotations

import io
import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageColor

from usage.domain.outlook import outlook
from usage.domain.snapshot import Batch, Pool, Snapshot
from usage.render import chart_draw
from usage.render.chart import ChartData, Expiry, captions, usage_chart
from usage.render.chart_draw import CARD, render_chart

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parent.parent


def example_history(now: datetime = NOW) -> list[Snapshot]:
    """30 days of checks every 30 minutes: about 12 credits a day, spent in working hours and
    soonest-expiring batch first; a batch that ran out 12 days ago with credits left; top-ups
    on day 2 and day 16 whose batches end in 3 and 10 days."""
    start = now - timedelta(days=30)
    ends = {"old": now - timedelta(days=12), "soon": now + timedelta(days=3)}
    ends["later"] = now + timedelta(days=10)
    left = {"old": 250.0}
    snaps: list[Snapshot] = []
    for i in range(30 * 48 + 1):
        at = start + timedelta(minutes=30 * i)
        if i == 2 * 48 + 20:
            left["soon"] = 250.0
        if i == 16 * 48 + 22:
            left["later"] = 200.0
        left = {k: v for k, v in left.items() if ends[k] > at}
        if 9 <= at.hour < 17:  # 16 checks a day: 12 a day, busier every third day
            burn = 0.75 * (1.5 if (i // 48) % 3 == 0 else 0.75)
            for key in sorted(left, key=ends.__getitem__):
                taken = min(burn, left[key])
                left[key] -= taken
                burn -= taken
        batches = tuple(Batch(Pool.VIDEO, round(v, 2), ends[k]) for k, v in left.items())
        total = round(sum(b.amount for b in batches), 2)
        snaps.append(Snapshot(at=at, video=total, audio=0.0, batches=batches))
    return snaps


def chart_of(history: list[Snapshot], pool: Pool, title: str = "x") -> ChartData:
    """The chart of `history` with its outlook, as /usage draws it."""
    return usage_chart(history, pool, outlook(history, pool, NOW), NOW, title=title)


def alt_text(data: ChartData, limit: int = 1024) -> str:
    return captions(data, limit).alt_text


def example_chart() -> ChartData:
    return chart_of(example_history(), Pool.VIDEO, title="Video/image credits · 123456")


def write_example(target: Path) -> str:
    """Render the example chart of docs/commands.md to `target`; returns its alt text."""
    data = example_chart()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(render_chart(data))
    return alt_text(data)


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of #rrggbb."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = ImageColor.getrgb(colour)[:3]
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


DARK_THEME, LIGHT_THEME = "#313338", "#ffffff"


def decode(png: bytes) -> Image.Image:
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_the_chart_is_a_small_opaque_png() -> None:
    png = render_chart(example_chart())
    assert len(png) < 200_000
    image = decode(png)
    assert image.format == "PNG"
    assert image.size == (800, 400)
    assert image.mode == "RGB", "opaque: the card looks the same on every theme"


def test_it_is_drawn_on_the_card_with_a_border() -> None:
    image = decode(render_chart(example_chart()))
    assert image.getpixel((0, 0)) == ImageColor.getrgb(chart_draw.BORDER)
    assert image.getpixel((image.width - 1, image.height // 2)) == ImageColor.getrgb(
        chart_draw.BORDER
    )
    assert image.getpixel((5, 5)) == ImageColor.getrgb(CARD)
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 16) or []}
    for line in (chart_draw.BALANCE, chart_draw.PROJECTED, chart_draw.EXPIRY):
        assert ImageColor.getrgb(line) in colours, line


def test_text_reads_well_on_the_card() -> None:
    for name, colour in chart_draw.TEXT_COLOURS.items():
        assert contrast(colour, CARD) >= 4.5, name


def test_lines_stand_out_from_the_card() -> None:
    for name, colour in chart_draw.LINE_COLOURS.items():
        assert contrast(colour, CARD) >= 3, name  # WCAG's minimum for graphics


def test_the_card_stands_out_on_both_discord_themes() -> None:
    assert contrast(chart_draw.BORDER, DARK_THEME) >= 3
    assert contrast(CARD, LIGHT_THEME) >= 3


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


EDGE_CASES = {
    "nothing": ChartData("Audio credits · 1", NOW),
    "one point": ChartData("Audio credits · 1", NOW, history=((NOW, 42.0),)),
    "one point and an expiry": ChartData(
        "x", NOW, history=((NOW, 42.0),), expiries=(Expiry(at(48), 42.0),)
    ),
    "all zero": ChartData("x", NOW, history=tuple((at(-h), 0.0) for h in range(48)), per_day=0.0),
    "same time": ChartData("x", NOW, history=((NOW, 1.0), (NOW, 2.0), (NOW, 3.0))),
    "only a projection": ChartData("x", NOW, projected=((NOW, 10.0), (at(24), 0.0)), per_day=10),
    "not finite": ChartData(
        "x", NOW, history=((at(-2), math.nan), (at(-1), math.inf), (NOW, 5.0)), per_day=1.0
    ),
    "negative": ChartData("x", NOW, history=((at(-30), -5.0), (NOW, 3.0))),
    "huge": ChartData("x", NOW, history=((at(-30), 1e12), (NOW, 9.9e11)), per_day=1e10),
    "tiny fractions": ChartData("x", NOW, history=((at(-30), 0.3), (NOW, 0.1)), per_day=0.2),
    "long title": ChartData("credits " * 1000, NOW, history=((at(-30), 1.0), (NOW, 1.0))),
    "many expiries": ChartData(
        "x",
        NOW,
        history=tuple((at(-h), 1000.0 + h) for h in range(200)),
        expiries=tuple(Expiry(at(i + 1), 10.0 * i, 5.0 * i) for i in range(200)),
        projected=((NOW, 1000.0), (at(201), 0.0)),
        per_day=100.0,
    ),
    "expired and far future": ChartData(
        "x",
        NOW,
        history=((at(-30), 5.0), (NOW, 5.0)),
        expiries=(Expiry(at(-10), 1.0), Expiry(at(24 * 3650), 5.0, 5.0)),
    ),
}


@pytest.mark.parametrize("data", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_edge_cases_render(data: ChartData) -> None:
    assert decode(render_chart(data)).size == (800, 400)
    text = alt_text(data)
    assert 0 < len(text) <= 1024


def ninety_days_hourly() -> ChartData:
    history = tuple((at(-h), 5000.0 - 2 * (2160 - h) % 700) for h in range(2160, -1, -1))
    return ChartData(
        "Video/image credits · all accounts",
        NOW,
        history=history,
        expiries=(Expiry(at(72), 100.0, 64.0), Expiry(at(240), 200.0, 116.0)),
        projected=((NOW, history[-1][1]), (at(72), 4000.0), (at(72), 3900.0), (at(240), 0.0)),
        per_day=12.0,
    )


def test_ninety_days_of_hourly_points_render() -> None:
    image = decode(render_chart(ninety_days_hourly()))
    assert image.size == (800, 400)


def test_alt_text_says_what_is_shown_the_balance_pace_and_what_expires() -> None:
    text = alt_text(example_chart())
    assert len(text) <= 1024
    assert "video/image credits balance from 26 Oct 2026 to 25 Nov 2026" in text
    assert "Current balance: 305 video/image credits." in text
    assert "Pace: 11.7 video/image credits a day." in text
    assert "105 on 28 Nov 2026 12:00 UTC (70 unused)" in text
    assert "At this pace 188 video/image credits expire unused." in text


def test_the_summary_line_says_the_same_in_short() -> None:
    summary = captions(example_chart()).summary
    assert summary == "Balance 305 · spending 11.7/day · 188 will expire unused"
    gathering = chart_of(example_history()[-10:], Pool.VIDEO)
    assert captions(gathering).summary == "Balance 305 · pace: after 24 h of history"


def test_alt_text_while_gathering() -> None:
    history = example_history()[-10:]
    data = chart_of(history, Pool.VIDEO, title="Video/image credits · 1")
    assert data.per_day is None and data.projected == ()
    assert all(e.unused is None for e in data.expiries)
    text = alt_text(data)
    assert "Current balance: 305 video/image credits." in text
    assert "not known yet" in text
    assert "unused" not in text


def test_alt_text_is_clipped_to_discords_limit() -> None:
    assert "and 192 more" in alt_text(EDGE_CASES["many expiries"])
    long_title = alt_text(EDGE_CASES["long title"])
    assert len(long_title) <= 1024
    assert "Current balance: 1 credits." in long_title, "a long title does not crowd it out"
    clipped = alt_text(example_chart(), limit=100)
    assert len(clipped) == 100
    assert clipped.endswith("…")


def test_usage_chart_of_the_example_history() -> None:
    data = example_chart()
    assert data.balance == pytest.approx(305, abs=0.5)
    assert data.per_day == pytest.approx(11.7, abs=0.05)
    assert [e.at for e in data.expiries] == [at(72), at(240)]
    assert [e.amount for e in data.expiries] == pytest.approx([105, 200], abs=0.5)
    assert data.unused == pytest.approx(188, abs=0.5)
    assert data.projected[0] == (NOW, data.balance)
    assert data.projected[-1] == (at(240), 0)


def test_usage_chart_merges_batches_ending_together_and_keeps_credits_without_an_end() -> None:
    ends = at(24)
    history = []
    for h in range(48, -1, -1):  # one credit an hour from two batches, 20 credits never expire
        half = 50 + h / 2
        batches = (Batch(Pool.VIDEO, half, ends), Batch(Pool.VIDEO, half, ends))
        history.append(Snapshot(at(-h), 2 * half + 20, 7.0, batches))
    data = chart_of(history, Pool.VIDEO)
    assert data.per_day == pytest.approx(24)
    [expiry] = data.expiries
    assert (expiry.at, expiry.amount, expiry.unused) == (ends, 100, pytest.approx(76))
    assert data.projected[0] == (NOW, 120)
    at_end = [v for t, v in data.projected if t == ends]
    assert (max(at_end), data.projected[-1]) == (pytest.approx(96), (ends, 20))
    audio = chart_of(history, Pool.AUDIO)
    assert (audio.balance, audio.per_day, audio.expiries) == (7, 0, ())


def test_usage_chart_of_an_audio_pool_with_no_history() -> None:
    data = chart_of([], Pool.AUDIO, title="Audio credits · 1")
    assert (data.history, data.expiries, data.projected, data.per_day) == ((), (), (), None)
    assert data.unit == "audio credits"
    assert "no audio credits balance recorded yet" in alt_text(data)


def test_the_example_can_be_written(tmp_path: Path) -> None:
    text = write_example(tmp_path / "docs" / "usage-chart.png")
    assert decode((tmp_path / "docs" / "usage-chart.png").read_bytes()).size == (800, 400)
    assert text == alt_text(example_chart())


def test_chart_imports_nothing_of_discord() -> None:
    code = "import sys, usage.render.chart_draw; print('discord' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False"


if __name__ == "__main__":  # python -m tests.test_chart docs/usage-chart.png
    print(write_example(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/usage-chart.png")))
