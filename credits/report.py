"""Plain-text credits report for `bot.py --check`, printed in the operator's terminal: the
failures are worded for a command line (which setting to change), not for Discord."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from chat.fmt import amount
from minimax_api import (
    AccountNotFound,
    AccountOnHold,
    BadRequest,
    CreditBatch,
    Features,
    OutOfCredits,
    RateLimited,
    SubscriptionExpired,
    TokenRefused,
    Unreachable,
    UpstreamTimeout,
    UpstreamUnavailable,
    UseapiError,
)
from usage.domain.snapshot import Pool


def _when(moment: datetime, now: datetime) -> str:
    hours = (moment - now).total_seconds() / 3600
    left = f"in {hours:.1f} h" if hours < 72 else f"in {hours / 24:.1f} days"
    return f"{moment:%Y-%m-%d %H:%M} UTC ({left})"


def _batches(batches: Iterable[CreditBatch], what: str, now: datetime) -> Iterator[str]:
    for batch in batches:
        when = _when(batch.expires_at, now) if batch.expires_at else "no expiry given"
        yield f"    {amount(batch.credit)} {what} expire {when}"


def account_report(account: str, features: Features, now: datetime) -> str:
    lines = [f"[ok] {account}"]
    plan = features.plan_name or "unknown plan"
    paid = {True: "paid", False: "not paid", None: "payment unknown"}[features.is_paid]
    lines.append(f"  {Pool.VIDEO.credits}: {amount(features.total_credits)}  plan: {plan} ({paid})")
    lines.extend(_batches(features.active_batches(now), "credits", now))
    if features.audio is not None:
        lines.append(f"  {Pool.AUDIO.credits}: {amount(features.audio.total)}")
        lines.extend(_batches(features.active_audio_batches(now), Pool.AUDIO.credits, now))
    video, image = amount(features.queue_length), amount(features.image_queue_length)
    lines.append(f"  queues: video {video}, image {image}")
    lines.append(f"  models: {len(features.models)}")
    return "\n".join(lines)


def _what_to_do(exc: UseapiError, known: Sequence[str]) -> str:
    listed = f" (the token's accounts: {', '.join(known)})" if known else ""
    match exc:
        case Unreachable():
            return "cannot reach useapi.net: check this machine's network and USEAPI_BASE_URL"
        case UpstreamTimeout():
            return (
                "useapi.net did not answer within USEAPI_TIMEOUT_SECONDS: try again, or "
                "raise USEAPI_TIMEOUT_SECONDS"
            )
        case UpstreamUnavailable():
            return "useapi.net is unavailable right now: usually temporary, try again later"
        case TokenRefused():
            return (
                "useapi.net refused USEAPI_TOKEN: copy the token again from useapi.net "
                "(Account → API token) into .env"
            )
        case SubscriptionExpired():
            return "the useapi.net subscription has expired: renew it at useapi.net"
        case AccountNotFound():
            return (
                f"useapi.net does not know this account: remove it from USEAPI_ACCOUNTS{listed}, "
                "or add it at useapi.net"
            )
        case BadRequest():
            return f"useapi.net rejected the request: check the account in USEAPI_ACCOUNTS{listed}"
        case OutOfCredits():
            return "MiniMax says the account is out of credits: top it up at hailuoai.video"
        case RateLimited():
            return "useapi.net is rate limiting requests: try again in a minute"
        case AccountOnHold():
            return (
                "MiniMax put the account on hold or rejected its session: re-add it at "
                "useapi.net (log in to MiniMax again)"
            )
    return "useapi.net returned an unexpected error: try again in a few minutes"


def failure_report(subject: str, exc: UseapiError, known: Sequence[str] = ()) -> str:
    """`[FAILED] subject: what happened and what to do`, and what useapi.net said, if
    anything."""
    text = f"[FAILED] {subject}: {_what_to_do(exc, known)}"
    detail = " ".join(exc.detail.split())[:300]
    if not detail:
        return text
    return f"{text}\n  {'useapi.net said' if exc.status else 'error'}: {detail}"
