"""`python -m preview --out FOLDER`, run as a user runs it: the real bot against the loopback
stand-ins writes a text file and a picture of every answer and alert Discord would show."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from PIL import Image

from preview.drawing import draw_message, plain
from preview.text import message_text

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = [
    "01-alert-expiring-soon",
    "02-credits",
    "03-credits-studio",
    "04-credits-voice",
    "05-models-studio",
    "06-usage-studio",
    "07-alerts-rules-marketing",
    "08-alert-low-balance",
    "09-alerts-status",
    "10-alerts-test",
    "11-alert-sample",
    "12-sample-acknowledge",
    "13-alert-expiring-soon-acknowledged",
    "14-usage-jobs",
]


def preview(out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preview", "--out", str(out)],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.e2e  # the bot as a process of its own: a few seconds
def test_the_preview_writes_each_answer_and_alert_as_text_and_a_picture(tmp_path: Path) -> None:
    out = tmp_path / "shown"
    out.mkdir()
    (out / "99-old-run.txt").write_text("left by an earlier preview")
    (out / "notes.txt").write_text("the user's own")
    # A developer's own settings never reach the preview's bot: these would stop it.
    done = preview(out, EXPIRY_WARNING_HOURS="soon", LOG_FORMAT="loud", HEALTH_PORT="none")
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(
        [f"{name}.{ext}" for name in EXPECTED for ext in ("txt", "png")] + ["notes.txt"]
    ), "every answer and alert, the earlier run's files gone, the user's kept"
    assert f"Preview written to {out}/" in done.stdout
    assert all(f"  {name}.png" in done.stdout for name in EXPECTED), "the files are listed"
    for name in EXPECTED:
        with Image.open(out / f"{name}.png") as picture:
            assert picture.format == "PNG" and picture.width == 720
            assert 80 <= picture.height <= 2000, (name, picture.size)
    text = {name: (out / f"{name}.txt").read_text(encoding="utf-8") for name in EXPECTED}
    expiring = text["01-alert-expiring-soon"]
    assert "## Expiring soon on account studio" in expiring
    assert "180 video/image credits expire in 19 hours" in expiring
    assert "Buttons: [Acknowledge]  [Snooze 1 hour]  [Snooze 1 day]  [Snooze 7 days]" in expiring
    low = text["08-alert-low-balance"]
    assert "## Low balance on account marketing" in low
    assert "42 video/image credits left, below the 100 of its rule" in low
    assert "(tester used /credits)" in text["03-credits-studio"]
    assert "(Only you can see this)" in text["03-credits-studio"]
    assert "[image: usage.png]" in text["06-usage-studio"]
    assert "[Acknowledge (sample)]" in text["11-alert-sample"]
    assert "nothing was acknowledged or snoozed" in text["12-sample-acknowledge"]
    assert "Acknowledged by @tester" in text["13-alert-expiring-soon-acknowledged"]
    assert "## Jobs · 3 accounts" in text["14-usage-jobs"]
    assert "out of credits (412): 2 jobs" in text["14-usage-jobs"]
    with Image.open(out / "06-usage-studio.png") as usage, Image.open(out / "02-credits.png") as c:
        assert bluish(usage) > 40, "the chart (its balance line) is drawn in its embed"
        assert bluish(c) == 0, "and not in an answer without one"


def bluish(picture: Image.Image) -> int:
    """Pixels near the usage chart's balance colour (#4cb8ff, usage/render/chart_draw.py),
    which the picture scales, so not exactly it."""
    colours = picture.convert("RGB").getcolors(2**20) or []
    near = 0
    for n, colour in colours:
        r, g, b = cast(tuple[int, int, int], colour)
        near += n if abs(r - 76) + abs(g - 184) + abs(b - 255) < 60 else 0
    return near


NOW = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
AT = int(NOW.timestamp()) + 3600


@pytest.mark.parametrize(
    ("style", "written"),
    [
        ("", "2 March 2026 21:00 UTC"),
        (":f", "2 March 2026 21:00 UTC"),
        (":F", "Monday, 2 March 2026 21:00 UTC"),
        (":d", "02/03/2026"),
        (":D", "2 March 2026"),
        (":t", "21:00 UTC"),
        (":T", "21:00:00 UTC"),
        (":R", "in 1 hour"),
    ],
)
def test_timestamps_are_written_as_discord_writes_each_style(style: str, written: str) -> None:
    assert plain(f"<t:{AT}{style}>", NOW) == written


def test_mentions_show_the_names_discord_would_and_a_kind_without_one() -> None:
    names = {"1": "general", "2": "tester", "3": "minimax-team"}
    assert plain("<#1> <@2> <@!2> <@&3>", NOW, names) == "#general @tester @tester @minimax-team"
    assert plain("<#9> <@9> <@&9>", NOW) == "#channel @user @role"


def picture(message: dict[str, Any], files: dict[str, bytes] | None = None) -> Image.Image:
    return Image.open(io.BytesIO(draw_message(message, files)))


def test_an_answer_shows_who_asked_its_image_and_that_only_they_see_it() -> None:
    chart = io.BytesIO()
    Image.new("RGB", (800, 400), "#FF00FF").save(chart, "PNG")
    embed = {"title": "Usage", "image": {"url": "attachment://usage.png"}}
    answer = {
        "timestamp": NOW.isoformat(),
        "interaction": {"name": "usage", "user": {"username": "tester"}},
        "embeds": [embed],
        "attachments": [{"filename": "usage.png"}],
        "flags": 64,
    }
    bare = picture({"embeds": [{"title": "Usage"}]})
    drawn = picture(answer, {"usage.png": chart.getvalue()}).convert("RGB")
    assert drawn.height > bare.height + 200, "the chart, the line above and the note below"
    assert (255, 0, 255) in {c for _, c in drawn.getcolors(720 * drawn.height) or []}
    assert picture(answer).height < drawn.height, "without its bytes, no image"
    assert message_text(answer) == (
        "(tester used /usage)\n\n## Usage\n  [image: usage.png]\n\n(Only you can see this)\n"
    ), "the attachment shown in the embed is not listed again"


def test_the_text_has_every_part_of_a_message() -> None:
    message = {
        "timestamp": NOW.isoformat(),
        "edited_timestamp": NOW.isoformat(),
        "content": "Alerts for 2 accounts",
        "embeds": [
            {
                "title": "Low balance on **a**",
                "description": f"🪫 42 left <t:{AT}:R>",
                "fields": [{"name": "Answered", "value": "✅ by <@2>"}],
                "footer": {"text": "Alert ref x"},
                "timestamp": NOW.isoformat(),
            }
        ],
        "components": [
            {
                "type": 1,
                "components": [
                    {
                        "type": 3,
                        "placeholder": "Pick",
                        "options": [{"label": "a", "value": "a"}, {"label": "b", "value": "b"}],
                    }
                ],
            },
            {"type": 1, "components": [{"type": 2, "label": "Acknowledge", "style": 3}]},
        ],
    }
    assert message_text(message, {"2": "tester"}) == (
        "Alerts for 2 accounts (edited)\n"
        "\n"
        "## Low balance on a\n"
        "    🪫 42 left in 1 hour\n"
        "  Answered:\n"
        "    ✅ by @tester\n"
        "  -- Alert ref x • 2 March 2026 20:00 UTC\n"
        "\n"
        "Menu: Pick (a, b)\n"
        "Buttons: [Acknowledge]\n"
    )
