"""Lenient readers for JSON values: a wrong type gives None, never an exception."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

Number = int | float

# Anything above this is taken as epoch milliseconds (1e11 s is the year 5138).
_MS_THRESHOLD = 100_000_000_000


def number(value: Any) -> Number | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return int(value) if value.is_integer() else value
    if isinstance(value, str):
        try:
            return number(float(value.strip()))
        except ValueError:
            return None
    return None


def integer(value: Any) -> int | None:
    n = number(value)
    return n if isinstance(n, int) else None


def text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(number(value))
    return None


def flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def timestamp(value: Any) -> datetime | None:
    """Epoch seconds or milliseconds to an aware UTC datetime; 0, negatives and junk give None."""
    n = number(value)
    if n is None or n <= 0:
        return None
    seconds = n / 1000 if n > _MS_THRESHOLD else n
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def label(value: Any) -> str | None:
    """A short label for an element of an untyped list (durations, resolutions, modes)."""
    if isinstance(value, Mapping):
        for key in ("name", "label", "value", "resolution", "duration", "mode"):
            found = text(value.get(key))
            if found:
                return found
        try:
            return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)[:100]
        except RecursionError:  # nested too deep to encode: no label rather than a crash
            return None
    return text(value)
