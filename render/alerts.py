"""Alert-channel messages rendered from outbox notices (plain data, so a retry renders the same)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import discord

from alerts.store import TOKEN_SUBJECT, Notice, NoticeKind

from . import limits
from .fmt import amount, relative_and_full
from .limits import safe

WHAT = {"video": "video/image credits", "audio": "audio credits"}
MAX_ITEMS = 20
REF = "Alert ref"
REF_IN_TEXT = re.compile(rf"\({REF} (a[0-9a-f]{{24}})\)")


@dataclass(frozen=True)
class AlertMessage:
    content: str
    embed: discord.Embed | None
    allowed_mentions: discord.AllowedMentions


def _hours(threshold: float) -> str:
    return f"{threshold:g} hour" + ("" if threshold == 1 else "s")


def _item_line(item: Mapping[str, Any]) -> str:
    when = relative_and_full(datetime.fromtimestamp(int(item["ends_at"]), UTC))
    within = f"within {_hours(float(item['threshold']))}"
    if item["kind"] == "session":
        return (
            f"🔑 The MiniMax session expires {when} ({within}): re-add the account at "
            "useapi.net (log in to MiniMax again) before then, or it stops working."
        )
    credit = amount(item.get("credit"))
    return f"⏳ **{credit}** {WHAT.get(item['kind'], 'credits')} expire {when} ({within})"


def _who(account: str) -> str:
    return (
        "the useapi.net API token" if account == TOKEN_SUBJECT else f"account {safe(account, 100)}"
    )


def notice_embed(notice: Notice) -> discord.Embed:
    who = _who(notice.account)
    if notice.kind is NoticeKind.UNREADABLE:
        title = notice.payload.get("title", "the check failed")
        return discord.Embed(
            title=limits.clip(f"Can't read {who}", limits.TITLE),
            description=f"{safe(title, 300)}. {safe(notice.payload.get('advice', ''), 500)}\n"
            "Expiry alerts for it are paused until it can be read again.",
            colour=discord.Colour.dark_red(),
            timestamp=notice.created_at,
        )
    if notice.kind is NoticeKind.READABLE:
        return discord.Embed(
            title=limits.clip(f"{who[0].upper()}{who[1:]} is readable again", limits.TITLE),
            description="Expiry alerts for it are back on.",
            colour=discord.Colour.green(),
            timestamp=notice.created_at,
        )
    items = sorted(notice.payload.get("items", []), key=lambda i: (i["ends_at"], i["kind"]))
    lines = [_item_line(i) for i in items[:MAX_ITEMS]]
    if len(items) > MAX_ITEMS:
        lines.append(f"…and {len(items) - MAX_ITEMS} more.")
    credits = any(i["kind"] != "session" for i in items)
    if credits:
        lines.append("\nUse the credits before they expire: they are not refunded.")
    severe = min((float(i["threshold"]) for i in items), default=72.0)
    return discord.Embed(
        title=limits.clip(f"Expiring soon on {who}", limits.TITLE),
        description=limits.clip("\n".join(lines), limits.DESCRIPTION),
        colour=discord.Colour.red() if severe <= 24 else discord.Colour.orange(),
        timestamp=notice.created_at,
    )


def refused_message(notice: Notice) -> AlertMessage:
    """Plain text of ours, with nothing from upstream, where Discord refused an alert for good:
    whatever it disliked in the first one is not in this one."""
    about = "An expiry alert" if notice.payload.get("about") == "expiry" else "An alert"
    reason = notice.payload.get("reason", "Discord refused it")
    return AlertMessage(
        f"⚠️ {about} could not be posted here: {reason}. "
        f"A server manager can see which one with `/alerts status`. ({REF} {notice.nonce})",
        None,
        discord.AllowedMentions.none(),
    )


def refs_in(content: str | None, footers: list[str | None]) -> list[str]:
    """The alert refs (nonces) a message of ours carries, in its footers or its text."""
    found = [f.removeprefix(f"{REF} ") for f in footers if f and f.startswith(f"{REF} ")]
    return found + REF_IN_TEXT.findall(content or "")


def alert_message(notice: Notice, role_id: int | None) -> AlertMessage:
    """The message for `notice`: pings `role_id` and nothing else, when configured."""
    if notice.kind is NoticeKind.REFUSED:
        return refused_message(notice)
    embed = notice_embed(notice)
    embed.set_footer(text=f"{REF} {notice.nonce}")
    summary = embed.title or "MiniMax alert"
    if role_id:
        return AlertMessage(
            f"<@&{role_id}> {summary}",
            embed,
            discord.AllowedMentions(everyone=False, users=False, roles=[discord.Object(role_id)]),
        )
    return AlertMessage(summary, embed, discord.AllowedMentions.none())


def sample_notice(now: datetime) -> Notice:
    """What `/alerts test` posts: a made-up alert that says it is a test."""
    ends = int(now.timestamp()) + 20 * 3600
    return Notice(
        "test",
        "example",
        NoticeKind.EXPIRY,
        {"items": [{"kind": "video", "credit": 100, "ends_at": ends, "threshold": 24}]},
        now,
    )
