"""`DIGEST_SCHEDULE`: when the usage digest is posted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from settings.errors import SettingsError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class DigestSchedule:
    """When the digest is posted, in UTC: every day at `at`, or every week on `weekday`."""

    at: time
    weekday: int | None = None  # 0 = Monday; None: daily

    @property
    def period(self) -> timedelta:
        return timedelta(days=1 if self.weekday is None else 7)

    def last_due(self, now: datetime) -> datetime:
        """The latest scheduled moment at or before `now`: the start of the current period."""
        moment = datetime.combine(now.date(), self.at, tzinfo=UTC)
        if self.weekday is not None:
            moment -= timedelta(days=(now.weekday() - self.weekday) % 7)
        while moment > now:
            moment -= self.period
        return moment

    def __str__(self) -> str:
        when = self.at.strftime("%H:%M")
        return (
            f"daily@{when}" if self.weekday is None else f"weekly@{WEEKDAYS[self.weekday]} {when}"
        )


def parse_digest(raw: str) -> DigestSchedule | None:
    if not raw:
        return None
    match = re.fullmatch(
        r"(daily)@(\d{1,2}):(\d{2})|(weekly)@([a-z]{3}) (\d{1,2}):(\d{2})", raw.lower()
    )
    weekday: int | None = None
    if match and match[1]:
        hour, minute = int(match[2]), int(match[3])
    elif match and match[5] in WEEKDAYS:
        weekday, hour, minute = WEEKDAYS.index(match[5]), int(match[6]), int(match[7])
    else:
        hour = minute = -1
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise SettingsError(
            f"DIGEST_SCHEDULE={raw!r} is not a schedule: use daily@HH:MM or weekly@mon HH:MM "
            "(UTC, e.g. weekly@mon 09:00), or leave it empty for no digest"
        )
    return DigestSchedule(time(hour, minute), weekday)
