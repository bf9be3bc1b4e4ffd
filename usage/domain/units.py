"""The lengths of time the usage maths, the history and the chart count in."""

from __future__ import annotations

from datetime import timedelta

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
