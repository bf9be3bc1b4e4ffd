"""The useapi.net account behind the API token (`GET /v2/account`): subscription and the
number of accounts per service.

Parsed like the MiniMax payloads: every field is optional, a missing field, `null` or a wrong
type gives None ("unknown", never 0 or false), unknown keys are ignored, and parsing never
raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from . import parsing as p

MINIMAX_SERVICE = "MiniMax API"
"""The name useapi.net gives the MiniMax service in `accounts`."""

_SUB = re.compile(r"[0-9]{6}")


@dataclass(frozen=True)
class ServiceCounts:
    """How many accounts a service has at useapi.net; `error` ones still count toward the
    limit ("there are outstanding issues with an account"). None: the payload does not say."""

    total: int | None
    active: int | None
    error: int | None


@dataclass(frozen=True)
class UseapiAccount:
    subscription_active: bool | None = None
    renewed: date | None = None  # `sub`: the day the subscription was last renewed
    subscriptions: int | None = None
    max_accounts: int | None = None  # `maxAccountsPerAPI`
    services: Mapping[str, ServiceCounts] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    name: str | None = None
    email: str | None = None

    @property
    def minimax(self) -> ServiceCounts | None:
        """The counts of the MiniMax service: "MiniMax API" in any case, else the first
        service whose name contains "minimax" (ignoring case, spaces and punctuation)."""
        wanted = MINIMAX_SERVICE.casefold()
        for name, counts in self.services.items():
            if name.strip().casefold() == wanted:
                return counts
        for name, counts in self.services.items():
            if "minimax" in re.sub(r"[\W_]+", "", name.casefold()):
                return counts
        return None


def renewal_date(value: Any) -> date | None:
    """`sub` as `YYMMDD` (years 2000-2099): "261115" is 2026-11-15; anything else is None."""
    raw = p.text(value)
    if raw is None or not _SUB.fullmatch(raw.strip()):
        return None
    raw = raw.strip()
    try:
        return date(2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:]))
    except ValueError:  # month 13, February 30, ...
        return None


def _count(value: Any) -> int | None:
    """A count of accounts: a whole number of 0 or more, else unknown."""
    n = p.integer(value)
    return n if n is not None and n >= 0 else None


def _services(value: Any) -> Mapping[str, ServiceCounts]:
    found: dict[str, ServiceCounts] = {}
    for name, raw in p.mapping(value).items():
        if not isinstance(name, str) or not isinstance(raw, Mapping):
            continue
        found[name] = ServiceCounts(
            total=_count(raw.get("total")),
            active=_count(raw.get("active")),
            error=_count(raw.get("error")),
        )
    return MappingProxyType(found)


def parse_account(payload: Any) -> UseapiAccount:
    """The `GET /v2/account` answer; a payload that is not an object gives an empty view,
    as `parse_features` does (the client already refuses a body that is not JSON)."""
    data = p.mapping(payload)
    return UseapiAccount(
        subscription_active=p.flag(data.get("subscriptionIsActive")),
        renewed=renewal_date(data.get("sub")),
        subscriptions=p.integer(data.get("subscriptions")),
        max_accounts=p.integer(data.get("maxAccountsPerAPI")),
        services=_services(data.get("accounts")),
        name=p.text(data.get("name")),
        email=p.text(data.get("email")),
    )


__all__ = ["MINIMAX_SERVICE", "ServiceCounts", "UseapiAccount", "parse_account", "renewal_date"]
