"""Quiet hours: recurring windows of days and a time range in an IANA time zone, during which
alerts are posted without pings and escalations wait. Pure, but for the store.

Times are wall-clock times in the window's zone (`zoneinfo`), so a window stays at 22:00
across daylight-saving changes. A window runs from its start up to, not including, its end,
and one across midnight belongs to the day it starts on (`Fri 22:00-08:00` is Friday 22:00
to Saturday 08:00). A start or end that falls in a skipped hour (spring forward) means the
first moment after it, when the clock shows a later time; one in a repeated hour (fall back)
means the first of the two.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from state import Database
from state.meta import Meta

log = logging.getLogger(__name__)

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EXAMPLE = "e.g. `Mon-Fri 22:00-08:00 Europe/Berlin; daily 00:00-07:00 UTC`"
MAX_WINDOWS = 10
MAX_TEXT = 500
KEY = "quiet windows"
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


class BadWindows(ValueError):
    """Quiet-hours text that cannot be windows; the message says what is wrong, in one line."""


@dataclass(frozen=True)
class Window:
    days: frozenset[int]  # the weekdays it starts on, 0 = Monday
    start: time
    end: time
    zone: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def starts(self, around: datetime) -> list[tuple[datetime, datetime]]:
        """Its occurrences (start, end, aware UTC) that start on the day of `around` in its
        zone, the day before or the day after."""
        tz = self.tz
        local = around.astimezone(tz).date()
        found = []
        for shift in (-1, 0, 1):
            day = local + timedelta(days=shift)
            if day.weekday() not in self.days:
                continue
            ends_on = day + timedelta(days=1) if self.end <= self.start else day
            found.append((wall(day, self.start, tz), wall(ends_on, self.end, tz)))
        return found


def wall(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant (aware UTC) the clock in `tz` shows `at` on `day`: the first of two in a
    repeated hour; in a skipped hour, the first instant after it."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    other = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    # the clock jumps over `naive` between the two: the first second it shows a later time
    lo, hi = int(min(first, other).timestamp()), int(max(first, other).timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def _days(text: str) -> frozenset[int]:
    lowered = text.lower()
    if lowered in ("daily", "everyday", "all"):
        return frozenset(range(7))
    found: set[int] = set()
    for part in lowered.split(","):
        ends = [_day(end, part) for end in part.split("-")]
        if len(ends) > 2:
            raise _not_days(part)
        a, b = ends[0], ends[-1]
        found.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(found)


def _day(text: str, part: str) -> int:
    """The weekday `text` names: at least its first three letters (or "weds")."""
    if len(text) >= 3:
        for i, full in enumerate(_FULL_DAYS):
            if full.startswith(text) or (i == 2 and text == "weds"):
                return i
    raise _not_days(part)


def _not_days(part: str) -> BadWindows:
    return BadWindows(
        f"“{part[:20]}” is not a day: write Mon…Sun, a range like Mon-Fri, days like Sat,Sun, "
        "or daily"
    )


def _time(text: str, what: str) -> time:
    found = _TIME.match(text)
    if found is None:
        raise BadWindows(f"“{text[:20]}” is not a time: write the {what} as HH:MM, {EXAMPLE}")
    hours, minutes = int(found[1]), int(found[2])
    if hours == 24 and minutes == 0 and what == "end":
        return time(0, 0)
    if hours > 23 or minutes > 59:
        raise BadWindows(f"“{text}” is not a time of day: 00:00 to 23:59, {EXAMPLE}")
    return time(hours, minutes)


@functools.cache
def _zones() -> dict[str, str]:
    """The IANA names this machine knows (its own and tzdata's), by their lower-case spelling."""
    return {name.lower(): name for name in available_timezones()}


def _zone(text: str) -> str:
    """The IANA name `text` spells, in any case."""
    if _loads(text):
        return text
    name = _zones().get(text.lower())
    if name is not None and _loads(name):
        return name
    raise BadWindows(
        f"“{text[:40]}” is not a time zone: use an IANA name like Europe/Berlin, "
        "America/New_York or UTC"
    )


def _loads(name: str) -> bool:
    if name.lower() == "localtime":  # the host's zone, whatever that is: not a name
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder, like Europe
        return False
    return True


def _window(text: str) -> Window:
    parts = text.split()
    if len(parts) != 3:
        shown = " ".join(parts)[:60]
        raise BadWindows(f"“{shown}”: write days, a time range and a time zone, {EXAMPLE}")
    days, span, zone = parts
    start_text, dash, end_text = span.partition("-")
    if not dash:
        raise BadWindows(f"“{span[:20]}” is not a time range: write it like 22:00-08:00")
    start, end = _time(start_text, "start"), _time(end_text, "end")
    if start == end:
        raise BadWindows(f"“{span}” starts where it ends: a window must last some time")
    return Window(_days(days), start, end, _zone(zone))


WEEK = 7 * 1440


def _spans(window: Window) -> list[tuple[int, int]]:
    """The window as minutes of its zone's wall-clock week, [start, end) (end may pass the
    week's end)."""
    start = window.start.hour * 60 + window.start.minute
    end = window.end.hour * 60 + window.end.minute
    length = (end - start) % 1440
    return [(d * 1440 + start, d * 1440 + start + length) for d in sorted(window.days)]


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return any(a[0] < b[1] + k and b[0] + k < a[1] for k in (-WEEK, 0, WEEK))


def parse_windows(text: str) -> tuple[Window, ...]:
    """The windows `text` sets (`off` or nothing: none), or BadWindows saying what is wrong."""
    return _parse(text, MAX_TEXT)


def _parse(text: str, most: int | None) -> tuple[Window, ...]:
    """`most` bounds what is typed; the stored text, written back with two-digit hours and
    "; ", may be a little longer and is read without it."""
    cleaned = text.strip()
    if cleaned.lower() in ("", "off", "none"):
        return ()
    if most is not None and len(cleaned) > most:
        raise BadWindows(f"at most {MAX_TEXT} characters of windows, {EXAMPLE}")
    windows = tuple(_window(p.strip()) for p in cleaned.split(";") if p.strip())
    if len(windows) > MAX_WINDOWS:
        raise BadWindows(f"at most {MAX_WINDOWS} windows, {EXAMPLE}")
    for i, one in enumerate(windows):
        for other in windows[i + 1 :]:
            if one.zone == other.zone and any(
                _overlap(a, b) for a in _spans(one) for b in _spans(other)
            ):
                raise BadWindows(
                    f"“{describe([one])}” and “{describe([other])}” overlap: make them one "
                    "window or move one"
                )
    for zone in dict.fromkeys(w.zone for w in windows):
        # disjoint on the week's circle (checked above): as long as the week means all of it
        if sum(b - a for w in windows if w.zone == zone for a, b in _spans(w)) >= WEEK:
            raise BadWindows(
                f"the windows in {zone} cover the whole week, so no alert would ever ping: "
                "leave some hours out"
            )
    return windows


def occurrence(windows: Iterable[Window], now: datetime) -> tuple[Window, datetime] | None:
    """A window in force at `now` and when that occurrence of it ends; None when none is."""
    for window in windows:
        for start, end in window.starts(now):
            if start <= now < end:
                return window, end
    return None


def in_force(windows: Iterable[Window], now: datetime) -> Window | None:
    found = occurrence(windows, now)
    return found[0] if found else None


def quiet_until(windows: Sequence[Window], now: datetime) -> datetime | None:
    """The first moment from `now` on when no window is in force (windows that touch or
    overlap run on); None when none is in force now. Windows of one zone never cover the
    whole week (parse_windows refuses them); should windows of several zones do so, this is
    the end of the chain after more than a week, when quiet is looked at again."""
    found = occurrence(windows, now)
    if found is None:
        return None
    moment = found[1]
    for _ in range(8 * MAX_WINDOWS):  # each step moves to the end of another occurrence
        found = occurrence(windows, moment)
        if found is None:
            return moment
        moment = found[1]
    return moment


def _day_text(days: frozenset[int]) -> str:
    if len(days) == 7:
        return "daily"
    ordered = sorted(days)
    runs: list[list[int]] = []
    for d in ordered:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][-1] == 6:  # Sat-Mon wraps
        runs[0] = runs.pop() + runs[0]
    parts = [
        DAY_NAMES[r[0]] if len(r) == 1 else f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}" for r in runs
    ]
    return ",".join(parts)


def unparse(windows: Iterable[Window]) -> str:
    """Text `parse_windows` reads back to the same windows ("off" for none)."""
    text = "; ".join(f"{_day_text(w.days)} {w.start:%H:%M}-{w.end:%H:%M} {w.zone}" for w in windows)
    return text or "off"


def describe(windows: Iterable[Window]) -> str:
    """How `/alerts status` shows the windows (en dashes)."""
    return "; ".join(
        f"{_day_text(w.days).replace('-', '–')} {w.start:%H:%M}–{w.end:%H:%M} {w.zone}"
        for w in windows
    )


class QuietHours:
    """The server's quiet hours, kept in the `meta` table as the text that sets them."""

    def __init__(self, db: Database) -> None:
        self.meta = Meta(db)
        self._warned: str | None = None

    async def get(self) -> tuple[Window, ...]:
        text = await self.meta.get(KEY)
        if not text:
            return ()
        try:
            return _parse(text, None)
        except BadWindows as exc:
            if text != self._warned:
                self._warned = text
                log.warning("the quiet hours stored cannot be used (%s): none apply", exc)
            return ()

    async def set(self, windows: Sequence[Window]) -> None:
        if windows:
            await self.meta.set(KEY, unparse(windows))
        else:
            await self.meta.delete(KEY)

    async def until(self, now: datetime) -> datetime | None:
        """When the quiet hours in force at `now` end (None: none in force)."""
        return quiet_until(await self.get(), now)
