"""Failures of the useapi.net API, one type per thing a user must do differently."""

from __future__ import annotations

import math

MAX_RETRY_AFTER = 3600.0
"""The longest wait (seconds) a Retry-After is taken for; longer or infinite ones count as this."""


def sane_wait(seconds: float | None) -> float | None:
    """`seconds` as a wait within [0, MAX_RETRY_AFTER]; None when it says nothing (None, NaN)."""
    if seconds is None:
        return None
    try:
        value = float(seconds)
    except OverflowError:  # an int beyond any float
        value = math.inf if seconds > 0 else 0.0
    except (TypeError, ValueError):
        return None
    if math.isnan(value):
        return None
    return min(MAX_RETRY_AFTER, max(0.0, value))


class UseapiError(Exception):
    """Base of every failure the client raises; `detail` is upstream's own text, if any."""

    status: int | None = None

    def __init__(self, detail: str = "", *, status: int | None = None) -> None:
        super().__init__(detail or self.__class__.__name__)
        self.detail = detail
        if status is not None:
            self.status = status


class BadRequest(UseapiError):
    status = 400


class TokenRefused(UseapiError):
    status = 401


class SubscriptionExpired(UseapiError):
    status = 402


class AccountNotFound(UseapiError):
    status = 404


class OutOfCredits(UseapiError):
    status = 412


class RateLimited(UseapiError):
    status = 429

    def __init__(self, detail: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = sane_wait(retry_after)


class AccountOnHold(UseapiError):
    status = 596


class UpstreamUnavailable(UseapiError):
    """5xx, an HTML page instead of JSON, unusable JSON (malformed, nested too deep, larger
    than the client reads), or no connection at all."""


class Unreachable(UpstreamUnavailable):
    """No connection to useapi.net at all (no network, no DNS, refused): the bot's own side,
    not useapi.net's."""


class UpstreamTimeout(UseapiError):
    """useapi.net did not answer within the client's timeout."""


BY_STATUS: dict[int, type[UseapiError]] = {
    400: BadRequest,
    401: TokenRefused,
    402: SubscriptionExpired,
    404: AccountNotFound,
    412: OutOfCredits,
    429: RateLimited,
    596: AccountOnHold,
}
