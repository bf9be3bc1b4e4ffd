"""A Discord message, from its JSON, as the plain text a reader sees: who used which command,
the content, each embed's title, description, fields, image and footer, the attachments, the
select menus with their options and the buttons' labels, and whether only its user sees it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .drawing import ATTACHMENT, EPHEMERAL, Show, footer_of, shows, used_line


def _indented(text: str, by: str = "    ") -> list[str]:
    return [f"{by}{line}" if line else "" for line in text.split("\n")]


def _embed(embed: Mapping[str, Any], show: Show) -> list[str]:
    lines = []
    if embed.get("title"):
        lines.append(f"## {show(embed['title'])}")
    if embed.get("description"):
        lines += _indented(show(embed["description"]))
    for field in embed.get("fields") or []:
        lines.append(f"  {show(field['name'])}:")
        lines += _indented(show(field["value"]))
    if url := _image_of(embed):
        lines.append(f"  [image: {url.removeprefix(ATTACHMENT)}]")
    if footer := footer_of(embed, show):
        lines.append(f"  -- {footer}")
    return lines


def _image_of(embed: Mapping[str, Any]) -> str | None:
    return (embed.get("image") or {}).get("url")


def _components(rows: list[Mapping[str, Any]]) -> list[str]:
    lines = []
    for row in rows:
        children = row.get("components") or []
        menus = [c for c in children if c.get("type") == 3]
        buttons = [c for c in children if c.get("type") == 2]
        for menu in menus:
            options = ", ".join(o.get("label", "?") for o in menu.get("options") or [])
            lines.append(f"Menu: {menu.get('placeholder') or 'Make a selection'} ({options})")
        if buttons:
            labels = "  ".join(f"[{b.get('label') or '?'}]" for b in buttons)
            lines.append(f"Buttons: {labels}")
    return lines


def message_text(message: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """The message as plain text, one block per part, ending in a newline; `names`: the
    names of the channels, users and roles it mentions, by id."""
    show = shows(message, names)
    lines = []
    if (used := used_line(message)) is not None:
        lines.append(f"({used})")
    if message.get("content"):
        edited = " (edited)" if message.get("edited_timestamp") else ""
        lines.append(show(message["content"]) + edited)
    embeds = message.get("embeds") or []
    for embed in embeds:
        lines += ["", *_embed(embed, show)]
    in_embeds = {_image_of(e) for e in embeds}
    for attachment in message.get("attachments") or []:
        name = attachment.get("filename", "?")
        if f"{ATTACHMENT}{name}" not in in_embeds:  # Discord shows those in the embed only
            lines.append(f"[attachment: {name}]")
    if components := _components(message.get("components") or []):
        lines += ["", *components]
    if (message.get("flags") or 0) & EPHEMERAL:
        lines += ["", "(Only you can see this)"]
    return "\n".join(lines).strip("\n") + "\n"
