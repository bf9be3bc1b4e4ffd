"""How the alerts name what they are about in a sentence."""

from __future__ import annotations

from alerts.domain.notices import TOKEN_SUBJECT, USEAPI_SUBJECT
from chat.limits import safe


def subject(account: str, limit: int = 100) -> str:
    """What a remembered account name means in a sentence: an account, or the API token."""
    if account == TOKEN_SUBJECT:
        return "the useapi.net API token"
    if account == USEAPI_SUBJECT:
        return "the useapi.net account"
    return f"account {safe(account, limit)}"
