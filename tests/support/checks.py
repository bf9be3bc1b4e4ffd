"""Discord's documented rules, applied to every message the bot sends to the stand-in."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from testbed.discord_stub import Call

LIMITS = {"title": 256, "description": 4096, "footer": 2048, "author": 256}
MAX_FILE = 10 * 1024 * 1024  # bytes of one attachment, for a bot in a server without boosts
FORBIDDEN_TEXT = ("Traceback (most recent call last)", 'File "/')


def _message_of(call: Call) -> dict[str, Any] | None:
    body = call.body if isinstance(call.body, dict) else None
    if body is None:
        return None
    if "/interactions/" in call.path:
        return body.get("data") if body.get("type") in (4, 7) else None
    if call.method in ("POST", "PATCH") and ("/webhooks/" in call.path or "/messages" in call.path):
        return body
    return None


def embed_problems(embed: dict[str, Any]) -> tuple[list[str], int]:
    problems: list[str] = []
    size = 0
    for key in ("title", "description"):
        text = embed.get(key) or ""
        size += len(text)
        if len(text) > LIMITS[key]:
            problems.append(f"embed {key} is {len(text)} > {LIMITS[key]} characters")
    footer = (embed.get("footer") or {}).get("text") or ""
    author = (embed.get("author") or {}).get("name") or ""
    size += len(footer) + len(author)
    if len(footer) > LIMITS["footer"]:
        problems.append(f"footer is {len(footer)} characters")
    if len(author) > LIMITS["author"]:
        problems.append(f"author is {len(author)} characters")
    fields = embed.get("fields") or []
    if len(fields) > 25:
        problems.append(f"embed has {len(fields)} > 25 fields")
    for f in fields:
        name, value = f.get("name") or "", f.get("value") or ""
        size += len(name) + len(value)
        if not name.strip() or not value.strip():
            problems.append("a field has an empty name or value")
        if len(name) > 256:
            problems.append(f"field name is {len(name)} > 256 characters")
        if len(value) > 1024:
            problems.append(f"field value is {len(value)} > 1024 characters")
    if size > 6000:
        problems.append(f"embed has {size} > 6000 characters")
    return problems, size


def message_problems(message: dict[str, Any], allowed_roles: Iterable[int] = ()) -> list[str]:
    problems: list[str] = []
    content = message.get("content") or ""
    if len(content) > 2000:
        problems.append(f"content is {len(content)} > 2000 characters")
    embeds = message.get("embeds") or []
    if len(embeds) > 10:
        problems.append(f"{len(embeds)} > 10 embeds in one message")
    total = 0
    for embed in embeds:
        found, size = embed_problems(embed)
        problems += found
        total += size
    if total > 6000:
        problems.append(f"embeds of one message total {total} > 6000 characters")
    attachments = message.get("attachments") or []
    if len(attachments) > 10:
        problems.append(f"{len(attachments)} > 10 attachments in one message")
    for a in attachments:
        if len(a.get("description") or "") > 1024:
            problems.append(f"attachment {a.get('filename')} has a description over 1024")
        if a.get("size", 0) > MAX_FILE:
            problems.append(f"attachment {a.get('filename')} is {a['size']} > {MAX_FILE} bytes")
    if content or embeds:
        mentions = message.get("allowed_mentions")
        if mentions is None:
            problems.append("no allowed_mentions: Discord would parse every mention in content")
        else:
            parse = mentions.get("parse") or []
            if "everyone" in parse or "roles" in parse:
                problems.append(f"allowed_mentions.parse {parse} can ping everyone or roles")
            extra = {int(r) for r in mentions.get("roles") or []} - set(allowed_roles)
            if extra:
                problems.append(f"allowed_mentions lets roles {sorted(extra)} be pinged")
    return problems


def call_problems(
    call: Call, secrets: Iterable[str], allowed_roles: Iterable[int] = ()
) -> list[str]:
    """Every rule `call` breaks: limits, pings, secrets and tracebacks."""
    problems: list[str] = []
    text = json.dumps(call.body) if call.body is not None else ""
    for secret in secrets:
        if secret and secret in text:
            problems.append(f"a secret token appears in {call.method} {call.path}")
    problems += [
        f"a traceback appears in {call.path}" for marker in FORBIDDEN_TEXT if marker in text
    ]
    body = call.body if isinstance(call.body, dict) else {}
    if "/interactions/" in call.path and body.get("type") == 8:
        choices = (body.get("data") or {}).get("choices") or []
        if len(choices) > 25:
            problems.append(f"{len(choices)} > 25 autocomplete choices")
        for c in choices:
            if not 1 <= len(c.get("name", "")) <= 100 or len(str(c.get("value", ""))) > 100:
                problems.append(f"autocomplete choice out of bounds: {c!r:.80}")
    message = _message_of(call)
    if message is not None:
        problems += [
            f"{call.method} {call.path}: {p}" for p in message_problems(message, allowed_roles)
        ]
    return problems


def all_problems(
    calls: Iterable[Call], secrets: Iterable[str], allowed_roles: Iterable[int] = ()
) -> list[str]:
    secrets = list(secrets)
    return [p for call in calls for p in call_problems(call, secrets, allowed_roles)]
