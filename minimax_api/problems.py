"""What to tell a person about each failure: a short title and what to do next.

Plain text without Discord imports, shared by the slash commands, the expiry alerts and
`bot.py --check`.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import errors


@dataclass(frozen=True)
class Problem:
    title: str
    advice: str
    detail: str = ""


def _detail(exc: errors.UseapiError) -> str:
    return " ".join(exc.detail.split())[:300] if exc.detail else ""


def _wait(seconds: float | None) -> str | None:
    """How long to wait, in words ("about 20 seconds", "about an hour"), or None when
    `seconds` says nothing usable (None, 0, negative, NaN). Never raises."""
    value = errors.sane_wait(seconds)
    if not value:
        return None
    if value >= errors.MAX_RETRY_AFTER - 0.5:  # the longest wait taken from useapi.net
        return "about an hour"
    count = max(1, round(value))
    return f"about {count} second{'' if count == 1 else 's'}"


def describe(exc: BaseException, account: str | None = None) -> Problem:
    """A human explanation of `exc`; anything unexpected gets a generic, safe answer."""
    which = f"account {account}" if account else "the account"
    match exc:
        case errors.BadRequest():
            return Problem(
                "useapi.net rejected the request",
                "Check the account name (pick one from the list as you type), then try again.",
                _detail(exc),
            )
        case errors.TokenRefused():
            return Problem(
                "useapi.net refused the API token",
                "The bot operator should check USEAPI_TOKEN in the bot's .env and restart it.",
            )
        case errors.SubscriptionExpired():
            return Problem(
                "The useapi.net subscription has expired",
                "Renew the subscription at useapi.net; the bot works again as soon as it is paid.",
            )
        case errors.AccountNotFound():
            return Problem(
                f"useapi.net does not know {which}",
                "Pick an account from the list as you type, or add it at useapi.net first.",
            )
        case errors.OutOfCredits():
            return Problem(
                f"MiniMax says {which} is out of credits",
                "Top up the account at hailuoai.video, or use another account.",
            )
        case errors.RateLimited(retry_after=seconds) if wait := _wait(seconds):
            return Problem("useapi.net is rate limiting requests", f"Try again in {wait}.")
        case errors.RateLimited():
            return Problem("useapi.net is rate limiting requests", "Try again in a minute.")
        case errors.AccountOnHold():
            return Problem(
                f"MiniMax put {which} on hold or rejected its session",
                "Re-add the account at useapi.net (log in to MiniMax again), then try again.",
            )
        case errors.UpstreamTimeout():
            return Problem(
                "useapi.net did not answer in time",
                "It may be busy: try again in a minute.",
            )
        case errors.Unreachable():
            return Problem(
                "The bot cannot reach useapi.net",
                "The bot operator should check the network of the machine the bot runs on; "
                "the bot tries again by itself.",
                _detail(exc),
            )
        case errors.UpstreamUnavailable():
            return Problem(
                "useapi.net is unavailable right now",
                "This is usually temporary: try again in a few minutes.",
            )
        case errors.UseapiError():
            return Problem("useapi.net returned an unexpected error", "Try again in a few minutes.")
    return Problem(
        "Something went wrong on our side",
        "The error was logged for the bot operator. Try again; if it keeps happening, tell them.",
    )
