"""Business-hours clocks: several blocks a day, blocks across midnight, holidays, time zones
(daylight saving included)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from route.calendar import Calendar, CalendarError, parse_days

BERLIN = Calendar.build(
    "eu", "Europe/Berlin", {"mon-fri": ["08:00-12:00", "13:00-17:00"]}, [date(2026, 12, 24)]
)
NIGHT = Calendar.build("night", "America/New_York", {"mon-sun": ["22:00-02:00"]})


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_clock_skips_lunch_nights_and_weekends():
    # Fri 2026-11-20 16:30 Berlin (15:30 UTC): 30 min left Friday, resumes Monday 08:00
    start = utc(2026, 11, 20, 15, 30)
    assert BERLIN.add(start, timedelta(minutes=15)) == utc(2026, 11, 20, 15, 45)
    assert BERLIN.add(start, timedelta(hours=1)) == utc(2026, 11, 23, 7, 30)  # Mon 08:30 local
    # Mon 11:30 local + 1h → 30 min before lunch, 30 after → 13:30 local
    assert BERLIN.add(utc(2026, 11, 23, 10, 30), timedelta(hours=1)) == utc(2026, 11, 23, 12, 30)
    assert BERLIN.elapsed(utc(2026, 11, 20, 15, 30), utc(2026, 11, 23, 7, 30)) == timedelta(hours=1)


def test_a_post_at_night_starts_the_clock_next_morning():
    assert BERLIN.add(utc(2026, 11, 24, 22, 0), timedelta(minutes=15)) == utc(2026, 11, 25, 7, 15)
    assert not BERLIN.is_open(utc(2026, 11, 24, 22, 0))
    assert BERLIN.is_open(utc(2026, 11, 25, 7, 15))


def test_holidays_do_not_count():
    # Wed 2026-12-23 16:00 local, 2 h: 1 h Wednesday, Thursday 24th is a holiday, 1 h Friday
    assert BERLIN.add(utc(2026, 12, 23, 15, 0), timedelta(hours=2)) == utc(2026, 12, 25, 8, 0)


def test_blocks_across_midnight_and_time_zones():
    # New York night shift 22:00-02:00; 2026-11-23 23:30 New York = 2026-11-24 04:30 UTC
    start = utc(2026, 11, 24, 4, 30)
    assert NIGHT.is_open(start)
    assert NIGHT.add(start, timedelta(hours=2, minutes=30)) == utc(2026, 11, 24, 7, 0)  # 02:00
    # 30 more minutes wait for the next night: 22:30 New York on the 24th = 03:30 UTC on the 25th
    assert NIGHT.add(start, timedelta(hours=3)) == utc(2026, 11, 25, 3, 30)


def test_daylight_saving_change_keeps_local_hours():
    # Berlin moves to summer time on 2026-03-29: 08:00 local is 07:00 UTC before, 06:00 after
    assert BERLIN.add(utc(2026, 3, 27, 15, 59), timedelta(minutes=2)) == utc(2026, 3, 30, 6, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("x", "Mars/Olympus", {"mon": ["08:00-09:00"]}), "unknown time zone"),
        (("x", "UTC", {"funday": ["08:00-09:00"]}), "unknown day"),
        (("x", "UTC", {"mon": ["8-9"]}), "a block is like"),
        (("x", "UTC", {"mon": []}), "no working hours"),
    ],
)
def test_bad_calendars_are_refused(args, message):
    with pytest.raises(CalendarError, match=message):
        Calendar.build(*args)


def test_day_ranges_wrap_around_the_week():
    assert parse_days("fri-mon") == [4, 5, 6, 0]
