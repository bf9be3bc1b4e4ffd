"""Small formatting helpers shared by the renderers."""

from __future__ import annotations

from datetime import datetime

from alerts.notices import TOKEN_SUBJECT
from minimax_api.parsing import Number

from .limits import safe


def amount(value: Number | None) -> str:
    if value is None:
        return "?"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:,}"


def stamp(when: datetime, style: str = "R") -> str:
    """A Discord timestamp: each reader sees it in their own time zone."""
    return f"<t:{int(when.timestamp())}:{style}>"


def relative_and_full(when: datetime) -> str:
    return f"{stamp(when, 'R')} ({stamp(when, 'f')})"


def subject(account: str, limit: int = 100) -> str:
    """What a remembered account name means in a sentence: an account, or the API token."""
    if account == TOKEN_SUBJECT:
        return "the useapi.net API token"
    return f"account {safe(account, limit)}"
