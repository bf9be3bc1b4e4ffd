"""Discord's hard limits on messages and embeds, and helpers that keep within them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import discord

TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
EMBED_TOTAL = 6000
EMBEDS_PER_MESSAGE = 10
CONTENT = 2000  # a message's text
AUTOCOMPLETE_CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100

ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def safe(text: str, limit: int | None = None) -> str:
    """Upstream or user text made inert: no markdown, no mentions; clipped when asked."""
    # Imported here, not at the top: the chart clips with this module and stays Discord-free.
    from discord.utils import escape_markdown, escape_mentions

    cleaned = escape_mentions(escape_markdown(text))
    cleaned = cleaned.replace("\n", " ").strip()
    return clip(cleaned, limit) if limit else cleaned


def pack_lines(lines: Iterable[str], limit: int = FIELD_VALUE) -> list[str]:
    """Join lines into blocks of at most `limit` characters, never splitting a line."""
    blocks: list[str] = []
    current = ""
    for line in lines:
        line = clip(line, limit)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            blocks.append(current)
            current = line
        else:
            current = candidate
    if current:
        blocks.append(current)
    return blocks


def paginate(
    template: discord.Embed, fields: Sequence[tuple[str, str]], *, inline: bool = False
) -> list[discord.Embed]:
    """Spread `fields` over copies of `template`, each within the per-embed limits.

    The first embed keeps the template's description; later ones are titled "(continued)".
    """
    embeds: list[discord.Embed] = []
    current = template.copy()
    for name, value in fields:
        name, value = clip(name or "\u200b", FIELD_NAME), clip(value or "\u200b", FIELD_VALUE)
        full = len(current.fields) >= FIELDS
        too_long = len(current) + len(name) + len(value) > EMBED_TOTAL
        if current.fields and (full or too_long):
            embeds.append(current)
            current = template.copy()
            current.description = None
            current.title = clip(f"{template.title or ''} (continued)", TITLE)
        current.add_field(name=name, value=value, inline=inline)
    embeds.append(current)
    return embeds


def pack_messages(
    embeds: Sequence[discord.Embed], *, reserve: int = 0
) -> list[list[discord.Embed]]:
    """Group embeds into messages of at most 10 embeds and 6000 characters each, keeping
    `reserve` characters free per embed (for what a later edit adds)."""
    messages: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    size = 0
    for embed in embeds:
        n = len(embed) + reserve
        if current and (len(current) >= EMBEDS_PER_MESSAGE or size + n > EMBED_TOTAL):
            messages.append(current)
            current, size = [], 0
        current.append(embed)
        size += n
    if current:
        messages.append(current)
    return messages
