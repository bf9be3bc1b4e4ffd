"""A Discord message, drawn from its JSON as a PNG in Discord's dark theme: the content, the
embeds (title, description, fields, footer, colour bar) and the components (rows of buttons and
string select menus). For the docs: what an alert with its buttons looks like. One cohesive
thing at about 330 lines: a small renderer, outside the product.

`.venv/bin/python -m docs.alert_picture` draws the alert the bot posts for two accounts (made
by its own code) to docs/alert-buttons.png. Markdown is not rendered beyond dropping `**` and
writing <t:…> timestamps as plain text (a relative one is counted from the message's own
`timestamp`). The drawing needs only Pillow and the standard library.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from PIL import Image, ImageDraw, ImageFont

WIDTH = 720
MARGIN = 16
LEFT = 72  # where text starts, right of the avatar, as in Discord
EMBED_WIDTH = 520
SELECT_WIDTH = 400

BACKGROUND = "#313338"
EMBED = "#2B2D31"
HEADING = "#F2F3F5"
TEXT = "#DBDEE1"
MUTED = "#B5BAC1"
PLACEHOLDER = "#949BA4"
FIELD = "#1E1F22"  # a select menu's box
BLURPLE = "#5865F2"
BUTTONS = {1: BLURPLE, 2: "#4E5058", 3: "#248046", 4: "#DA373C", 5: "#4E5058"}
NO_COLOUR = "#1E1F22"  # the bar of an embed without a colour

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
STAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
MENTION = re.compile(r"<(@&|@!?|#)\d+>")
SUBSTITUTES = {"≈": "~", "↳": "›", "—": "-", "–": "-"}  # glyphs the default font lacks


@cache
def _font(size: int) -> Font:
    return ImageFont.load_default(size=size)


@cache
def _glyph(char: str, size: int) -> bytes:
    image = Image.new("L", (2 * size, 2 * size))
    ImageDraw.Draw(image).text((0, 0), char, font=_font(size), fill=255)
    return image.tobytes()


def _drawable(text: str, size: int) -> str:
    """`text` less what the font would draw as a box (emoji, most symbols)."""
    text = "".join(SUBSTITUTES.get(c, c) for c in text)
    missing = _glyph("\uffff", size)
    return "".join(c for c in text if c.isspace() or _glyph(c, size) != missing)


def _relative(seconds: float) -> str:
    """`seconds` from now in words, as Discord writes a relative timestamp."""
    units = (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600))
    size = next((u for u in (*units, ("minute", 60)) if abs(seconds) >= u[1]), None)
    if size is None:
        return "in a few seconds" if seconds >= 0 else "a few seconds ago"
    count = int(abs(seconds) // size[1])
    words = f"{count} {size[0]}" + ("" if count == 1 else "s")
    return f"in {words}" if seconds >= 0 else f"{words} ago"


def plain(text: str, now: datetime | None) -> str:
    """Discord markup as the plain text a reader sees: no `**`, timestamps written out,
    mentions as @role, @user and #channel."""

    def stamp(match: re.Match[str]) -> str:
        when = datetime.fromtimestamp(int(match[1]), UTC)
        if match[2] == "R" and now is not None:
            return _relative((when - now).total_seconds())
        return f"{when.day} {when:%B %Y %H:%M} UTC"

    text = STAMP.sub(stamp, text.replace("**", ""))
    kinds = {"@&": "@role", "#": "#channel"}
    return MENTION.sub(lambda m: kinds.get(m[1], "@user"), text)


def _wrap(text: str, font: Font, width: float) -> list[str]:
    """`text` in lines no wider than `width` (a word longer than that gets a line of its own);
    a paragraph's indent is kept on each of its lines."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.lstrip(" ")
        indent = paragraph[: len(paragraph) - len(words)]
        line = ""
        for word in words.split(" "):
            joined = f"{line} {word}" if line else word
            if line and font.getlength(indent + joined) > width:
                lines.append(indent + line)
                line = word
            else:
                line = joined
        lines.append(indent + line)
    return lines


class Line(NamedTuple):
    """One line of text in a block: its size, weight, colour and the space above it."""

    text: str
    size: int
    colour: str
    bold: bool = False
    space: int = 0


def _lines(
    text: str, width: float, size: int, colour: str, *, bold: bool = False, space: int = 0
) -> list[Line]:
    wrapped = _wrap(_drawable(text, size), _font(size), width)
    return [Line(t, size, colour, bold, space if i == 0 else 0) for i, t in enumerate(wrapped)]


def _height(lines: list[Line]) -> int:
    return sum(round(line.size * 1.375) + line.space for line in lines)


def _write(draw: ImageDraw.ImageDraw, x: int, y: int, lines: list[Line]) -> int:
    """Draw `lines` from (x, y); the y below them. Bold is the text drawn twice, 1 px apart."""
    for line in lines:
        y += line.space
        for dx in (0, 1) if line.bold else (0,):
            draw.text((x + dx, y), line.text, font=_font(line.size), fill=line.colour)
        y += round(line.size * 1.375)
    return y


def _embed_lines(embed: dict[str, Any], width: int, now: datetime | None) -> list[Line]:
    lines: list[Line] = []
    if embed.get("title"):
        lines += _lines(plain(embed["title"], now), width, 16, HEADING, bold=True)
    if embed.get("description"):
        lines += _lines(plain(embed["description"], now), width, 14, TEXT, space=4 * bool(lines))
    for field in embed.get("fields") or []:
        lines += _lines(plain(field["name"], now), width, 14, HEADING, bold=True, space=8)
        lines += _lines(plain(field["value"], now), width, 14, TEXT)
    footer = (embed.get("footer") or {}).get("text")
    if footer:
        lines += _lines(plain(footer, now), width, 12, MUTED, space=8)
    return lines


def _embed(draw: ImageDraw.ImageDraw, y: int, embed: dict[str, Any], now: datetime | None) -> int:
    """An embed from `y`: a card with its colour as the left bar. The y below it."""
    width = min(EMBED_WIDTH, WIDTH - LEFT - MARGIN)
    lines = _embed_lines(embed, width - 32, now)
    bottom = y + 8 + _height(lines) + 12
    draw.rounded_rectangle((LEFT, y, LEFT + width, bottom), radius=4, fill=EMBED)
    colour = embed.get("color", embed.get("colour"))
    bar = f"#{colour:06x}" if isinstance(colour, int) else NO_COLOUR
    draw.rounded_rectangle((LEFT, y, LEFT + 4, bottom), radius=2, fill=bar)
    _write(draw, LEFT + 16, y + 8, lines)
    return bottom


def _select(draw: ImageDraw.ImageDraw, y: int, menu: dict[str, Any]) -> int:
    """A string select menu: a dark box, its placeholder and a chevron. The y below it."""
    right = LEFT + min(SELECT_WIDTH, WIDTH - LEFT - MARGIN)
    draw.rounded_rectangle((LEFT, y, right, y + 40), radius=4, fill=FIELD)
    text = _drawable(menu.get("placeholder") or "Make a selection", 14)
    draw.text((LEFT + 12, y + 20), text, font=_font(14), fill=PLACEHOLDER, anchor="lm")
    cx, cy = right - 20, y + 20
    draw.line([(cx - 5, cy - 2), (cx, cy + 3), (cx + 5, cy - 2)], fill=TEXT, width=2)
    return y + 40


def _buttons(draw: ImageDraw.ImageDraw, y: int, buttons: list[dict[str, Any]]) -> int:
    """A row of buttons, wrapped when it is wider than the message. The y below it."""
    x = LEFT
    for button in buttons:
        label = _drawable(button.get("label") or "", 14)
        width = round(_font(14).getlength(label)) + 32
        if x > LEFT and x + width > WIDTH - MARGIN:
            x, y = LEFT, y + 40
        fill = BUTTONS.get(button.get("style", 2), BUTTONS[2])
        draw.rounded_rectangle((x, y, x + width, y + 32), radius=3, fill=fill)
        colour = PLACEHOLDER if button.get("disabled") else "#FFFFFF"
        draw.text((x + width / 2, y + 16), label, font=_font(14), fill=colour, anchor="mm")
        x += width + 8
    return y + 32


def _header(draw: ImageDraw.ImageDraw, y: int, message: dict[str, Any]) -> int:
    """The avatar, the bot's name, its APP tag and the time of the message."""
    author = message.get("author") or {}
    name = _drawable(author.get("global_name") or author.get("username") or "minimax-bot", 16)
    draw.ellipse((MARGIN, y, MARGIN + 40, y + 40), fill=BLURPLE)
    _write(draw, LEFT, y, [Line(name, 16, HEADING, bold=True)])
    x = LEFT + round(_font(16).getlength(name)) + 6
    draw.rounded_rectangle((x, y + 3, x + 30, y + 19), radius=3, fill=BLURPLE)
    draw.text((x + 15, y + 11), "APP", font=_font(10), fill="#FFFFFF", anchor="mm")
    when = _when(message)
    if when is not None:
        draw.text((x + 38, y + 4), f"{when:%d/%m/%Y %H:%M}", font=_font(12), fill=PLACEHOLDER)
    return y + 22


def _when(message: dict[str, Any]) -> datetime | None:
    stamp = message.get("timestamp")
    return datetime.fromisoformat(stamp) if stamp else None


def draw_message(message: dict[str, Any]) -> bytes:
    """`message` (Discord's JSON) as PNG bytes, WIDTH pixels wide and as tall as it needs."""
    now = _when(message)
    image = Image.new("RGB", (WIDTH, 4000), BACKGROUND)
    draw = ImageDraw.Draw(image)
    y = _header(draw, MARGIN, message)
    if message.get("content"):
        text = plain(message["content"], now)
        y = _write(draw, LEFT, y, _lines(text, WIDTH - LEFT - MARGIN, 16, TEXT))
    for embed in message.get("embeds") or []:
        y = _embed(draw, y + 4, embed, now)
    for row in message.get("components") or []:
        children = row.get("components") or []
        if children and children[0].get("type") == 3:
            y = _select(draw, y + 8, children[0])
        elif children:
            y = _buttons(draw, y + 8, children)
    y = max(y, MARGIN + 40)
    out = io.BytesIO()
    image.crop((0, 0, WIDTH, y + MARGIN)).save(out, "PNG")
    return out.getvalue()


def sample_message() -> dict[str, Any]:
    """An alert about two accounts, with the menu and buttons the feature puts on it."""
    now = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)

    def stamp(hours: float) -> str:
        at = int((now + timedelta(hours=hours)).timestamp())
        return f"<t:{at}:R> (<t:{at}:f>)"

    return {
        "content": "Expiring soon on 2 accounts",
        "timestamp": now.isoformat(),
        "author": {"username": "minimax-bot", "bot": True},
        "embeds": [
            {
                "title": "Expiring soon on account a",
                "description": f"**100** video/image credits expire {stamp(23)} (within 24 "
                "hours)\n  ↳ at your pace (≈ 12.5 a day), about **88** of them will expire "
                "unused: use them or lose them.\n\nUse the credits before they expire: they "
                "are not refunded.",
                "color": 0xE74C3C,
                "footer": {"text": "Alert ref a3f9c1e07b52d4a68e1f0c93"},
            },
            {
                "title": "Expiring soon on account b",
                "description": f"**40** audio credits expire {stamp(50)} (within 72 hours)",
                "fields": [{"name": "MiniMax session", "value": f"expires {stamp(200)}"}],
                "color": 0xE67E22,
                "footer": {"text": "Alert ref a7d20b9f4c1e86a35b0d2e71"},
            },
        ],
        "components": [
            {
                "type": 1,
                "components": [
                    {
                        "type": 3,
                        "custom_id": "alert:accounts",
                        "placeholder": "Acknowledge or snooze: both accounts",
                        "min_values": 1,
                        "max_values": 2,
                        "options": [{"label": "a", "value": "a"}, {"label": "b", "value": "b"}],
                    }
                ],
            },
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 3, "label": "Acknowledge", "custom_id": "alert:ack"},
                    {"type": 2, "style": 2, "label": "Snooze 1 hour", "custom_id": "alert:1h"},
                    {"type": 2, "style": 2, "label": "Snooze 1 day", "custom_id": "alert:1d"},
                    {"type": 2, "style": 2, "label": "Snooze 7 days", "custom_id": "alert:7d"},
                ],
            },
        ],
    }


def the_bots_alert() -> dict[str, Any]:
    """The message the bot itself posts for two accounts due together, made by its own code
    (run from the project root: `python -m docs.alert_picture`)."""
    from alerts.chat.controls import controls
    from alerts.domain.due import ExpiryKind
    from alerts.domain.notices import ExpiringSoon, ExpiryItem, Notice
    from alerts.domain.port import ref_of
    from alerts.render.messages import alert_messages

    now = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    video = ExpiryItem(ExpiryKind.VIDEO, 100, now + timedelta(hours=23), 24, 88.0, 12.5)
    audio = ExpiryItem(ExpiryKind.AUDIO, 40, now + timedelta(hours=50), 72)
    notices = [
        Notice("a3f9c1e07b52d4a68e1f0c93a", "123456", ExpiringSoon((video,)), now),
        Notice("a7d20b9f4c1e86a35b0d2e71b", "654321", ExpiringSoon((audio,)), now),
    ]
    ref = ref_of(notices)
    [(_, message)] = alert_messages(notices, None)
    view = controls(ref, [n.account for n in notices])
    return {
        "content": message.content,
        "timestamp": now.isoformat(),
        "author": {"username": "minimax-bot", "bot": True},
        "embeds": [e.to_dict() for e in message.embeds or []],
        "components": view.to_components(),
    }


def main() -> None:
    path = Path(__file__).resolve().parent / "alert-buttons.png"
    path.write_bytes(draw_message(the_bots_alert()))
    print(path)


if __name__ == "__main__":
    main()
