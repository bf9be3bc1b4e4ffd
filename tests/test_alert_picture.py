"""docs/alert_picture.py: a Discord message drawn as a PNG, with its embeds and components."""

from __future__ import annotations

import copy
import importlib.util
import io
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from PIL import Image

SCRIPT = Path(__file__).resolve().parents[1] / "docs" / "alert_picture.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def picture() -> ModuleType:
    """The script as a module (docs/ is not a package)."""
    spec = importlib.util.spec_from_file_location("alert_picture", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def image_of(message: dict[str, Any]) -> Image.Image:
    png = picture().draw_message(message)
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def colours(image: Image.Image) -> set[tuple[int, ...] | float]:
    return {c for _, c in image.getcolors(maxcolors=image.width * image.height) or []}


def test_the_sample_alert_with_two_embeds_a_menu_and_buttons() -> None:
    sample = picture().sample_message()
    assert len(sample["embeds"]) == 2 and len(sample["components"]) == 2
    image = image_of(sample)
    assert image.width == 720 and 300 <= image.height <= 900
    seen = colours(image)
    assert {(0x31, 0x33, 0x38), (0x2B, 0x2D, 0x31)} <= seen, "the card and an embed"
    assert {(0xE7, 0x4C, 0x3C), (0xE6, 0x7E, 0x22)} <= seen, "each embed's colour bar"
    assert {(0x24, 0x80, 0x46), (0x4E, 0x50, 0x58), (0x1E, 0x1F, 0x22)} <= seen, "the controls"
    bare = copy.deepcopy(sample)
    bare["components"] = []
    assert image.height - image_of(bare).height >= 80, "a menu and a row of buttons"


def test_long_text_wraps_within_the_width() -> None:
    short = {"content": "x", "embeds": [{"title": "T", "description": "word " * 5}]}
    long = {"content": "x", "embeds": [{"title": "T", "description": "word " * 300}]}
    short_image, long_image = image_of(short), image_of(long)
    assert long_image.width == short_image.width == 720
    assert long_image.height > short_image.height + 200


def test_markup_becomes_plain_text() -> None:
    now = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    at = int(now.timestamp()) + 23 * 3600
    assert picture().plain(f"**100** expire <t:{at}:R> (<t:{at}:f>)", now) == (
        "100 expire in 23 hours (3 March 2026 19:00 UTC)"
    )


def test_the_picture_in_the_readme_is_the_bots_own_alert() -> None:
    message = picture().the_bots_alert()
    assert [e["title"] for e in message["embeds"]] == [
        "Expiring soon on account 123456",
        "Expiring soon on account 654321",
    ]
    labels = [c.get("label") for row in message["components"] for c in row["components"]]
    assert labels == [None, "Acknowledge", "Snooze 1 hour", "Snooze 1 day", "Snooze 7 days"]
    assert picture().draw_message(message).startswith(PNG_SIGNATURE)
