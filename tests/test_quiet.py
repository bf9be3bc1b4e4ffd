"""Quiet hours: parsing, examples at the edges, properties over daylight-saving transitions
(hypothesis) against a wall-clock oracle, and the store on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.domain.quiet import (
    BadWindows,
    QuietHours,
    Window,
    describe,
    in_force,
    parse_windows,
    quiet_until,
    unparse,
    wall,
)
from state import Database

BERLIN = "Europe/Berlin"
ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia", "UTC")


def at(text: str, zone: str = "UTC") -> datetime:
    """A wall-clock time in `zone` ("2026-12-04 22:00"), as an aware UTC instant."""
    naive = datetime.fromisoformat(text)
    return naive.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def test_weekday_nights_in_berlin_and_the_end_is_not_quiet() -> None:
    windows = parse_windows("Mon-Fri 22:00-08:00 Europe/Berlin")
    assert in_force(windows, at("2026-12-04 22:00", BERLIN)) is not None, "Friday 22:00"
    assert in_force(windows, at("2026-12-05 07:59:59", BERLIN)) is not None, "Saturday morning"
    assert in_force(windows, at("2026-12-05 08:00", BERLIN)) is None, "the end is not quiet"
    assert in_force(windows, at("2026-12-05 22:00", BERLIN)) is None, "Saturday night is not"
    assert in_force(windows, at("2026-12-04 21:59:59", BERLIN)) is None
    assert quiet_until(windows, at("2026-12-05 03:00", BERLIN)) == at("2026-12-05 08:00", BERLIN)


def test_daily_utc_and_a_sunday_to_monday_wrap() -> None:
    daily = parse_windows("daily 00:00-07:00 UTC")
    assert in_force(daily, at("2026-12-06 06:59")) is not None
    assert in_force(daily, at("2026-12-06 07:00")) is None
    wrap = parse_windows("Sun 23:00-01:00 UTC")
    assert in_force(wrap, at("2026-12-07 00:30")) is not None, "Monday 00:30 is Sunday's night"
    assert in_force(wrap, at("2026-12-08 00:30")) is None, "Tuesday 00:30 is not"
    weekend = parse_windows("Fri-Mon 20:00-06:00 UTC")
    assert [w.days for w in weekend] == [frozenset({4, 5, 6, 0})]


def test_touching_windows_run_on() -> None:
    windows = parse_windows("daily 22:00-23:00 UTC; daily 23:00-01:00 UTC")
    assert quiet_until(windows, at("2026-12-04 22:30")) == at("2026-12-05 01:00")
    assert quiet_until(windows, at("2026-12-04 21:00")) is None


def test_a_skipped_hour_starts_at_the_jump_and_a_repeated_hour_ends_at_its_first() -> None:
    tz = ZoneInfo(BERLIN)
    assert wall(date(2026, 3, 29), time(2, 30), tz) == at("2026-03-29 03:00", BERLIN)
    assert wall(date(2026, 10, 25), time(2, 30), tz) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    windows = parse_windows("Sat 22:00-03:00 Europe/Berlin")  # across the fall-back night
    assert quiet_until(windows, at("2026-10-24 23:00", BERLIN)) == at("2026-10-25 03:00", BERLIN)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("daily 22:00-22:00 UTC", "starts where it ends"),
        ("daily 22:00-08:00 Mars/Olympus", "is not a time zone"),
        ("Funday 22:00-08:00 UTC", "is not a day"),
        ("daily 25:00-08:00 UTC", "is not a time of day"),
        ("daily 22h-08h UTC", "is not a time"),
        ("daily 22:00 UTC", "is not a time range"),
        ("Mon-Fri 22:00-08:00", "days, a time range and a time zone"),
        ("Mon-Fri 22:00-08:00 UTC; Tue 07:00-09:00 UTC", "overlap"),
        ("; ".join(["Mon 01:00-02:00 UTC"] * 11), "at most 10 windows"),
        ("daily 22:00-08:00 Europe", "is not a time zone"),  # a folder of zones
        ("daily 22:00-08:00 localtime", "is not a time zone"),  # the host's, not a name
        ("Monkey 22:00-08:00 UTC", "is not a day"),
        ("Mon-Fri-Sat 22:00-08:00 UTC", "is not a day"),
        ("Mon- 22:00-08:00 UTC", "is not a day"),
        ("Mon 22:00-08:00 UTC and\nmore", "days, a time range and a time zone"),
        ("daily 22:00-08:00 UTC; daily 08:00-22:00 UTC", "the whole week"),
    ],
)
def test_bad_windows_are_one_line_saying_what_is_wrong(text: str, said: str) -> None:
    with pytest.raises(BadWindows) as caught:
        parse_windows(text)
    assert said in str(caught.value) and "\n" not in str(caught.value)


def test_day_names_and_zones_in_any_case() -> None:
    assert parse_windows("monday-FRIDAY 22:00-08:00 europe/berlin") == parse_windows(
        "Mon-Fri 22:00-08:00 Europe/Berlin"
    )
    assert parse_windows("Tues,Weds,Thurs 22:00-08:00 utc")[0].days == frozenset({1, 2, 3})
    assert parse_windows("daily 00:00-23:59 UTC"), "a minute a day left to ping is allowed"


def test_off_is_none_and_text_reads_back_to_the_same() -> None:
    assert parse_windows(" off ") == parse_windows("") == ()
    windows = parse_windows("Sat,Sun 00:00-10:00 UTC; Sun-Thu 22:00-08:00 Europe/Berlin")
    assert parse_windows(unparse(windows)) == windows
    assert describe(windows) == "Sat–Sun 00:00–10:00 UTC; Sun–Thu 22:00–08:00 Europe/Berlin"
    assert unparse(()) == "off"


def transitions(zone: str) -> list[datetime]:
    """The instants the zone's offset changes, 2010 to 2030 (hourly scan, then to the second)."""
    tz = ZoneInfo(zone)
    found = []
    moment = datetime(2010, 1, 1, tzinfo=UTC)
    step = timedelta(hours=1)
    before = moment.astimezone(tz).utcoffset()
    while moment < datetime(2030, 1, 1, tzinfo=UTC):
        nxt = moment + step
        offset = nxt.astimezone(tz).utcoffset()
        if offset != before:
            lo, hi = moment, nxt
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(tz).utcoffset() == before:
                    lo = mid
                else:
                    hi = mid
            found.append(hi.replace(microsecond=0))
            before = offset
        moment = nxt
    return found


TRANSITIONS = {zone: transitions(zone) for zone in ZONES if zone != "UTC"}
TRANSITIONS["UTC"] = [datetime(2026, 3, 29, 1, tzinfo=UTC)]


def ambiguous(moment: datetime, tz: ZoneInfo) -> bool:
    """Whether the clock shows the same time twice around `moment` (a repeated hour)."""
    local = moment.astimezone(tz).replace(tzinfo=None)
    first = local.replace(tzinfo=tz, fold=0).utcoffset()
    second = local.replace(tzinfo=tz, fold=1).utcoffset()
    return first != second


def oracle(window: Window, moment: datetime) -> bool:
    """In force by the clock alone: the weekday and time of day `moment` shows in the zone
    fall in [start, end) of a day the window starts on (or the day before, across midnight)."""
    local = moment.astimezone(window.tz).replace(tzinfo=None)
    minute = local.hour * 60 + local.minute + local.second / 60
    start = window.start.hour * 60 + window.start.minute
    end = window.end.hour * 60 + window.end.minute
    today, yesterday = local.weekday(), (local.weekday() - 1) % 7
    if start < end:
        return today in window.days and start <= minute < end
    return (today in window.days and minute >= start) or (yesterday in window.days and minute < end)


clock_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@st.composite
def windows_across_midnight(draw: st.DrawFn) -> Window:
    zone = draw(st.sampled_from(ZONES))
    start = draw(st.builds(time, st.integers(12, 23), st.sampled_from([0, 30])))
    end = draw(st.builds(time, st.integers(0, 11), st.sampled_from([0, 30])))
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    return Window(days, start, end, zone)


@st.composite
def near_a_transition(draw: st.DrawFn, zone: str) -> datetime:
    moment = draw(st.sampled_from(TRANSITIONS[zone]))
    return moment + timedelta(seconds=draw(st.integers(-36 * 3600, 36 * 3600)))


@st.composite
def window_and_moment(draw: st.DrawFn) -> tuple[Window, datetime]:
    window = draw(windows_across_midnight())
    return window, draw(near_a_transition(window.zone))


@settings(max_examples=400, deadline=None)
@given(window_and_moment())
def test_in_force_agrees_with_the_clock_near_dst_transitions(
    case: tuple[Window, datetime],
) -> None:
    window, moment = case
    tz = window.tz
    if ambiguous(moment, tz):
        return  # the clock alone cannot tell which of the two times: the rule is "the first"
    assert (in_force([window], moment) is not None) == oracle(window, moment)


@settings(max_examples=200, deadline=None)
@given(window_and_moment())
def test_quiet_until_is_the_first_moment_out_of_the_window(
    case: tuple[Window, datetime],
) -> None:
    window, moment = case
    end = quiet_until([window], moment)
    if end is None:
        assert in_force([window], moment) is None
        return
    assert end > moment
    assert in_force([window], end) is None, "not quiet at its end"
    assert in_force([window], end - timedelta(seconds=1)) is not None, "quiet until then"
    span = (end - moment).total_seconds()
    for k in range(1, 20):  # quiet all the way from now to its end
        assert in_force([window], moment + timedelta(seconds=span * k / 20)) is not None


async def test_the_store_keeps_the_windows_and_off_removes_them(database: Database) -> None:
    quiet = QuietHours(database)
    assert await quiet.get() == ()
    windows = parse_windows("Mon-Fri 22:00-08:00 Europe/Berlin; daily 12:00-13:00 UTC")
    await quiet.set(windows)
    assert await QuietHours(database).get() == windows
    assert await quiet.until(at("2026-12-04 12:30")) == at("2026-12-04 13:00")
    await quiet.set(())
    assert await quiet.get() == ()


async def test_a_stored_text_that_no_longer_parses_is_none(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await database.execute(
        "INSERT INTO meta(key, value) VALUES ('quiet windows', 'daily 22:00-08:00 Gone/Zone')"
    )
    quiet = QuietHours(database)
    assert await quiet.get() == () and await quiet.get() == ()
    assert caplog.text.count("the quiet hours stored cannot be used") == 1


WORDS = (
    "daily",
    "Mon",
    "mon-fri",
    "Fri-Mon",
    "Sat,Sun",
    "Funday",
    "-",
    ",",
    "Mon-",
    "22:00-08:00",
    "07:00-07:00",
    "24:00",
    "9:5",
    "25:00-01:00",
    "Europe/Berlin",
    "Europe",
    "America",
    "UTC",
    "localtime",
    "../UTC",
    "/etc/passwd",
    "Gone/Zone",
    "off",
    ";",
    "２２:００-01:00",
    "\n",
    "\x00",
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=12), max_size=12))
def test_any_text_is_windows_or_one_line_saying_what_is_wrong(words: list[str]) -> None:
    text = " ".join(words)
    try:
        windows = parse_windows(text)
    except BadWindows as exc:
        said = str(exc)
        assert len(said.splitlines()) == 1 and len(said) < 300
    else:
        assert parse_windows(unparse(windows)) == windows


@st.composite
def window_sets(draw: st.DrawFn) -> tuple[Window, ...]:
    """One to four windows of one zone that may touch (one's end is the next one's start)."""
    zone = draw(st.sampled_from(ZONES))
    count = draw(st.integers(1, 4))
    minutes = sorted(draw(st.sets(st.sampled_from(range(0, 1440, 30)), min_size=2, max_size=5)))
    windows = []
    for _ in range(count):
        a, b = draw(st.sampled_from(minutes)), draw(st.sampled_from(minutes))
        if a == b:
            continue
        days = draw(st.frozensets(st.integers(0, 6), min_size=1))
        windows.append(Window(days, time(a // 60, a % 60), time(b // 60, b % 60), zone))
    try:
        found = parse_windows(unparse(windows))
    except BadWindows:
        found = ()
    return found or draw(st.nothing())


@settings(max_examples=200, deadline=None)
@given(window_sets())
def test_the_text_of_any_windows_reads_back_to_them(windows: tuple[Window, ...]) -> None:
    assert parse_windows(unparse(windows)) == windows
    assert "\n" not in describe(windows)


@st.composite
def windows_and_moment(draw: st.DrawFn) -> tuple[tuple[Window, ...], datetime]:
    windows = draw(window_sets())
    return windows, draw(near_a_transition(windows[0].zone))


@settings(max_examples=200, deadline=None)
@given(windows_and_moment())
def test_several_windows_agree_with_the_clock_and_run_on_to_the_first_free_moment(
    case: tuple[tuple[Window, ...], datetime],
) -> None:
    windows, moment = case
    if not ambiguous(moment, windows[0].tz):
        assert (in_force(windows, moment) is not None) == any(oracle(w, moment) for w in windows)
    end = quiet_until(windows, moment)
    if end is None:
        assert in_force(windows, moment) is None
        return
    assert end > moment
    assert in_force(windows, end) is None, "not quiet at its end"
    span = (end - moment).total_seconds()
    for k in range(1, 40):
        assert in_force(windows, moment + timedelta(seconds=span * k / 40)) is not None
    assert in_force(windows, end - timedelta(seconds=1)) is not None


async def test_windows_accepted_near_the_length_limit_are_read_back_from_the_store(
    database: Database,
) -> None:
    # 494 characters typed; written back with two-digit hours and "; " they are 520
    text = ";".join(f"Mon,Wed,Fri {h}:00-{h}:30 America/Argentina/ComodRivadavia" for h in range(9))
    windows = parse_windows(text)
    await QuietHours(database).set(windows)
    assert await QuietHours(database).get() == windows
