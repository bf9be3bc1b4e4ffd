"""A Discord message, drawn from its JSON as a PNG in Discord's dark theme: who used which
command (for an answer), the content, the embeds (title, description, fields, image, footer
and time, colour bar), the components (rows of buttons and string select menus) and, for an
answer only its user sees, Discord's "Only you can see this"; an edited message says so.

Used by the preview (`python -m preview`) for every answer and alert, and by
docs/alert_picture.py for the README's picture. Markdown is not rendered beyond dropping `**`
and writing <t:…> timestamps as plain text (a relative one is counted from the message's own
`timestamp`). An embed's `attachment://` image is drawn from the files given. Pillow and the
standard library only; no product code.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple

from PIL import Image, ImageDraw, ImageFont

WIDTH = 720
MARGIN = 16
LEFT = 72  # where text starts, right of the avatar, as in Discord
EMBED_WIDTH = 520
SELECT_WIDTH = 400
IMAGE_HEIGHT = 300  # the tallest an embed's image is shown

BACKGROUND = "#313338"
EMBED = "#2B2D31"
HEADING = "#F2F3F5"
TEXT = "#DBDEE1"
MUTED = "#B5BAC1"
PLACEHOLDER = "#949BA4"
LINK = "#00A8FC"
FIELD = "#1E1F22"  # a select menu's box
BLURPLE = "#5865F2"
BUTTONS = {1: BLURPLE, 2: "#4E5058", 3: "#248046", 4: "#DA373C", 5: "#4E5058"}
NO_COLOUR = "#1E1F22"  # the bar of an embed without a colour
EPHEMERAL = 64  # the flag of a message only its user sees

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
STAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
MENTION = re.compile(r"<(@&|@!?|#)(\d+)>")
SUBSTITUTES = {"≈": "~", "↳": "›", "—": "-", "–": "-", "•": "·", "→": "->", "×": "x"}
"""Glyphs the default font lacks, and what is drawn instead."""
ATTACHMENT = "attachment://"


@cache
def _font(size: int) -> Font:
    return ImageFont.load_default(size=size)


@cache
def _glyph(char: str, size: int) -> bytes:
    image = Image.new("L", (2 * size, 2 * size))
    ImageDraw.Draw(image).text((0, 0), char, font=_font(size), fill=255)
    return image.tobytes()


def _drawable(text: str, size: int) -> str:
    """`text` less what the font would draw as a box (emoji, most symbols), and less the
    space after such a glyph that leads a line or follows a space ("✅ Done" is "Done")."""
    text = "".join(SUBSTITUTES.get(c, c) for c in text)
    missing = _glyph("\uffff", size)
    kept: list[str] = []
    dropped = False
    for c in text:
        if not c.isspace() and _glyph(c, size) == missing:
            dropped = True
            continue
        if not (dropped and c == " " and (not kept or kept[-1].isspace())):
            kept.append(c)
        dropped = False
    return "".join(kept)


def _relative(seconds: float) -> str:
    """`seconds` from now in words, as Discord writes a relative timestamp."""
    units = (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600))
    size = next((u for u in (*units, ("minute", 60)) if abs(seconds) >= u[1]), None)
    if size is None:
        return "in a few seconds" if seconds >= 0 else "a few seconds ago"
    count = int(abs(seconds) // size[1])
    words = f"{count} {size[0]}" + ("" if count == 1 else "s")
    return f"in {words}" if seconds >= 0 else f"{words} ago"


STYLES = {
    "t": "%H:%M UTC",
    "T": "%H:%M:%S UTC",
    "d": "%d/%m/%Y",
    "D": "{day} %B %Y",
    "f": "{day} %B %Y %H:%M UTC",
    "F": "%A, {day} %B %Y %H:%M UTC",
}
"""How Discord writes a timestamp of each style (here in UTC, for every reader)."""


def _written(when: datetime, style: str = "f") -> str:
    return when.strftime(STYLES.get(style, STYLES["f"]).replace("{day}", str(when.day)))


def plain(text: str, now: datetime | None, names: Mapping[str, str] | None = None) -> str:
    """Discord markup as the plain text a reader sees: no `**`, timestamps written out (a
    relative one counted from `now`), mentions by the names Discord would show (`names`, by
    id), else as @role, @user and #channel."""
    names = names or {}

    def stamp(match: re.Match[str]) -> str:
        when = datetime.fromtimestamp(int(match[1]), UTC)
        if match[2] == "R" and now is not None:
            return _relative((when - now).total_seconds())
        return _written(when, match[2] or "f")

    def mention(match: re.Match[str]) -> str:
        kind = "#" if match[1] == "#" else "@"
        fallback = {"@&": "role", "#": "channel"}.get(match[1], "user")
        return f"{kind}{names.get(match[2], fallback)}"

    return MENTION.sub(mention, STAMP.sub(stamp, text.replace("**", "")))


Show = Callable[[str], str]
"""Markup to plain text, for one message (`plain` with its time and names)."""


def footer_of(embed: Mapping[str, Any], show: Show) -> str:
    """An embed's footer as Discord writes it: its text, then its time after a dot."""
    parts = [show(text)] if (text := (embed.get("footer") or {}).get("text")) else []
    if embed.get("timestamp"):
        parts.append(_written(datetime.fromisoformat(embed["timestamp"]).astimezone(UTC)))
    return " • ".join(parts)


def used_line(message: Mapping[str, Any]) -> str | None:
    """Who used which command, above an answer ("tester used /credits"); None for a
    message the bot posted of its own."""
    used = message.get("interaction") or {}
    if not used.get("name"):
        return None
    user = used.get("user") or {}
    who = user.get("global_name") or user.get("username") or "someone"
    return f"{who} used /{used['name']}"


def shows(message: Mapping[str, Any], names: Mapping[str, str] | None) -> Show:
    """How a message's markup reads: relative times from its own `timestamp`."""
    stamp = message.get("timestamp")
    now = datetime.fromisoformat(stamp) if stamp else None
    return lambda text: plain(text, now, names)


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


def _text_lines(embed: dict[str, Any], width: int, show: Show) -> list[Line]:
    """The title, description and fields of an embed."""
    lines: list[Line] = []
    if embed.get("title"):
        lines += _lines(show(embed["title"]), width, 16, HEADING, bold=True)
    if embed.get("description"):
        lines += _lines(show(embed["description"]), width, 14, TEXT, space=4 * bool(lines))
    for field in embed.get("fields") or []:
        lines += _lines(show(field["name"]), width, 14, HEADING, bold=True, space=8)
        lines += _lines(show(field["value"]), width, 14, TEXT)
    return lines


def _image(url: str | None, files: Mapping[str, bytes], width: int) -> Image.Image | None:
    """An attachment's picture scaled to fit `width` and IMAGE_HEIGHT (None for any other
    URL, or a file that is not a picture)."""
    if not url or not url.startswith(ATTACHMENT) or url[len(ATTACHMENT) :] not in files:
        return None
    try:
        picture = Image.open(io.BytesIO(files[url[len(ATTACHMENT) :]])).convert("RGB")
    except OSError:
        return None
    picture.thumbnail((width, IMAGE_HEIGHT))
    return picture


def _embed(
    image: Image.Image, y: int, embed: dict[str, Any], show: Show, files: Mapping[str, bytes]
) -> int:
    """An embed from `y`: a card with its colour as the left bar. The y below it."""
    draw = ImageDraw.Draw(image)
    width = min(EMBED_WIDTH, WIDTH - LEFT - MARGIN)
    inner = width - 32
    lines = _text_lines(embed, inner, show)
    picture = _image((embed.get("image") or {}).get("url"), files, inner)
    footer = footer_of(embed, show)
    below = _lines(footer, inner, 12, MUTED, space=8) if footer else []
    image_height = picture.height + 8 * bool(lines) if picture is not None else 0
    bottom = y + 8 + _height(lines) + image_height + _height(below) + 12
    draw.rounded_rectangle((LEFT, y, LEFT + width, bottom), radius=4, fill=EMBED)
    colour = embed.get("color", embed.get("colour"))
    bar = f"#{colour:06x}" if isinstance(colour, int) else NO_COLOUR
    draw.rounded_rectangle((LEFT, y, LEFT + 4, bottom), radius=2, fill=bar)
    at = _write(draw, LEFT + 16, y + 8, lines)
    if picture is not None:
        at += 8 * bool(lines)
        image.paste(picture, (LEFT + 16, at))
        at += picture.height
    _write(draw, LEFT + 16, at, below)
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


def _used(draw: ImageDraw.ImageDraw, y: int, line: str) -> int:
    """The line above an answer: a hook from the avatar up to who used which command."""
    draw.line([(MARGIN + 20, y + 16), (MARGIN + 20, y + 8), (LEFT - 8, y + 8)], fill=MUTED)
    draw.ellipse((LEFT - 4, y + 1, LEFT + 12, y + 17), fill=PLACEHOLDER)
    draw.text((LEFT + 18, y + 9), _drawable(line, 13), font=_font(13), fill=MUTED, anchor="lm")
    return y + 22


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


def _only_you(draw: ImageDraw.ImageDraw, y: int) -> int:
    """Discord's note under an answer only its user sees."""
    said = _drawable("Only you can see this · ", 12)
    draw.text((LEFT, y), said, font=_font(12), fill=MUTED)
    x = LEFT + round(_font(12).getlength(said))
    draw.text((x, y), "Dismiss message", font=_font(12), fill=LINK)
    return y + 16


def _when(message: dict[str, Any]) -> datetime | None:
    stamp = message.get("timestamp")
    return datetime.fromisoformat(stamp) if stamp else None


def draw_message(
    message: dict[str, Any],
    files: Mapping[str, bytes] | None = None,
    names: Mapping[str, str] | None = None,
) -> bytes:
    """`message` (Discord's JSON) as PNG bytes, WIDTH pixels wide and as tall as it needs;
    `files`: the bytes of its attachments by filename, for the embeds' images; `names`: the
    names of the channels, users and roles it mentions, by id."""
    files = files or {}
    show = shows(message, names)
    image = Image.new("RGB", (WIDTH, 8000), BACKGROUND)
    draw = ImageDraw.Draw(image)
    y = MARGIN
    if (used := used_line(message)) is not None:
        y = _used(draw, y, used)
    top = y
    y = _header(draw, y, message)
    if message.get("content"):
        lines = _lines(show(message["content"]), WIDTH - LEFT - MARGIN, 16, TEXT)
        y = _write(draw, LEFT, y, lines)
        if message.get("edited_timestamp"):
            x = LEFT + round(_font(16).getlength(lines[-1].text)) + 4
            draw.text((x, y - 18), "(edited)", font=_font(11), fill=PLACEHOLDER)
    for embed in message.get("embeds") or []:
        y = _embed(image, y + 4, embed, show, files)
    for row in message.get("components") or []:
        children = row.get("components") or []
        if children and children[0].get("type") == 3:
            y = _select(draw, y + 8, children[0])
        elif children:
            y = _buttons(draw, y + 8, children)
    if (message.get("flags") or 0) & EPHEMERAL:
        y = _only_you(draw, y + 6)
    y = max(y, top + 40)
    out = io.BytesIO()
    image.crop((0, 0, WIDTH, y + MARGIN)).save(out, "PNG")
    return out.getvalue()
