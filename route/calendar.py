"""Business-hours calendars for SLA clocks: a time zone, working blocks per weekday (several a
day; a block may run past midnight, like 22:00-02:00), and holidays. SLA time counts only
inside working blocks.

    calendars:
      support-eu:
        timezone: Europe/Berlin
        hours: {mon-fri: ["08:00-12:00", "13:00-18:00"], sat: ["10:00-14:00"]}
        holidays: [2026-12-25, 2026-12-26]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_BLOCK = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
MAX_DAYS = 800  # a clock that finds no working time within this many days is a bad calendar


class CalendarError(ValueError):
    pass


def parse_days(spec: str) -> list[int]:
    """`mon`, `mon-fri`, `sat,sun` → weekday numbers (Monday = 0)."""
    out: list[int] = []
    for part in spec.lower().replace(" ", "").split(","):
        if "-" in part:
            a, _, b = part.partition("-")
            if a not in DAYS or b not in DAYS:
                raise CalendarError(f"unknown day range {part!r}; days are {', '.join(DAYS)}")
            i, j = DAYS.index(a), DAYS.index(b)
            out += list(range(i, j + 1)) if i <= j else list(range(i, 7)) + list(range(0, j + 1))
        elif part in DAYS:
            out.append(DAYS.index(part))
        else:
            raise CalendarError(f"unknown day {part!r}; days are {', '.join(DAYS)}")
    return out


def parse_block(spec: str) -> tuple[time, time]:
    m = _BLOCK.match(spec.strip())
    if not m:
        raise CalendarError(f"a block is like 08:00-17:30, not {spec!r}")
    h1, m1, h2, m2 = (int(x) for x in m.groups())
    if not (0 <= h1 <= 24 and 0 <= h2 <= 24 and m1 < 60 and m2 < 60):
        raise CalendarError(f"time out of range in {spec!r}")
    start = time(h1 % 24, m1)
    end = time(0, 0) if (h2, m2) == (24, 0) else time(h2, m2)
    if start == end:
        raise CalendarError(f"empty block {spec!r}")
    return start, end


@dataclass(frozen=True)
class Calendar:
    name: str
    zone: ZoneInfo
    week: tuple[tuple[tuple[time, time], ...], ...]  # 7 weekdays, blocks in local time
    holidays: frozenset[date]

    @classmethod
    def build(
        cls,
        name: str,
        timezone: str,
        hours: dict[str, list[str]],
        holidays: list[date] | None = None,
    ) -> Calendar:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError(
                f"unknown time zone {timezone!r} (use names like Europe/Berlin or America/New_York)"
            ) from None
        week: list[list[tuple[time, time]]] = [[] for _ in range(7)]
        for days, blocks in hours.items():
            for day in parse_days(days):
                week[day] += [parse_block(b) for b in blocks]
        if not any(week):
            raise CalendarError(f"calendar {name!r} has no working hours")
        return cls(name, zone, tuple(tuple(sorted(d)) for d in week), frozenset(holidays or ()))

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """Working intervals (UTC) that start on local date `day`; a block that ends at or
        before its start runs into the next day."""
        if day in self.holidays:
            return []
        out = []
        for start, end in self.week[day.weekday()]:
            a = datetime.combine(day, start, self.zone)
            end_day = day if end > start and end != time(0, 0) else day + timedelta(days=1)
            b = datetime.combine(end_day, end, self.zone)
            out.append((a.astimezone(UTC), b.astimezone(UTC)))
        return out

    def _walk(self, start: datetime):
        """Working intervals (UTC) from `start` on, clipped to begin no earlier than it."""
        day = start.astimezone(self.zone).date() - timedelta(days=1)  # overnight spill-over
        for _ in range(MAX_DAYS):
            for a, b in self._intervals(day):
                if b > start:
                    yield max(a, start), b
            day += timedelta(days=1)
        raise CalendarError(f"calendar {self.name!r}: no working time within {MAX_DAYS} days")

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment `duration` of working time after `start`."""
        left = duration
        for a, b in self._walk(start):
            if b - a >= left:
                return a + left
            left -= b - a
        raise AssertionError("unreachable")  # pragma: no cover

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two moments."""
        total = timedelta()
        if end <= start:
            return total
        for a, b in self._walk(start):
            if a >= end:
                break
            total += min(b, end) - a
        return total

    def is_open(self, at: datetime) -> bool:
        return any(a <= at < b for a, b in self._intervals_around(at))

    def _intervals_around(self, at: datetime):
        day = at.astimezone(self.zone).date()
        return self._intervals(day - timedelta(days=1)) + self._intervals(day)


def add(calendar: Calendar | None, start: datetime, duration: timedelta) -> datetime:
    """24×7 when no calendar is set."""
    return start + duration if calendar is None else calendar.add(start, duration)


def elapsed(calendar: Calendar | None, start: datetime, end: datetime) -> timedelta:
    if calendar is None:
        return max(timedelta(), end - start)
    return calendar.elapsed(start, end)
