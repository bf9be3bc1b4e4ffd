"""Small formatting helpers shared by the renderers."""

from __future__ import annotations

import math
from datetime import datetime

from minimax_api.parsing import Number
from state.moments import to_epoch


def amount(value: Number | None, *, whole_from: float | None = None, compact: bool = False) -> str:
    """1,234.56: up to two decimals. With `whole_from`, rounded for prose: one decimal below
    it (2.5), whole numbers from it on (1,234), by size. `compact` writes a million and more
    as 1.2M. None is "?"."""
    if value is None:
        return "?"
    if compact and abs(value) >= 1_000_000:
        return amount(value / 1_000_000, whole_from=math.inf) + "M"
    if isinstance(value, int):
        return f"{value:,}"
    if whole_from is not None and abs(value) >= whole_from:
        return f"{value:,.0f}"
    decimals = 2 if whole_from is None else 1
    return f"{value:,.{decimals}f}".rstrip("0").rstrip(".")


def stamp(when: datetime, style: str = "R") -> str:
    """A Discord timestamp: each reader sees it in their own time zone."""
    return f"<t:{to_epoch(when)}:{style}>"


def relative_and_full(when: datetime) -> str:
    return f"{stamp(when, 'R')} ({stamp(when, 'f')})"
