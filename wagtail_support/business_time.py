"""Business-time arithmetic: when a number of business minutes will have elapsed, and how many business
minutes lie between two moments, for a weekly schedule in a time zone with holidays, or around the clock.

A leaf module: pure functions of the standard library (``zoneinfo``), importing nothing of the package. A
``Calendar`` is built from a ``models.BusinessCalendar`` (``Calendar.of``; it reads the calendar's
``intervals`` and ``holidays``, prefetched or not, and nothing else) or from plain values, and is then used
without any query.

Conventions:

- Every datetime given must be aware (any zone); every datetime returned is in UTC.
- A business minute is a real minute (elapsed time) inside an interval of the schedule: the schedule is read
  in the calendar's zone day by day, so a 9:00-17:00 day is 8 hours on the days the clocks change too. An
  interval bound that falls in a spring-forward gap or a fall-back fold is read with ``fold=0`` (the offset
  before the change).
- Holidays are dates in the calendar's zone: the whole local day has no business time.
- ``add(start, 0)`` is ``start``; a target reached exactly at the end of an interval is that end (Friday
  16:00 + 60 minutes is Friday 17:00, not Monday 9:00).
- ``between(a, b)`` is negative when ``b`` is before ``a`` (``-between(b, a)``), so "late by" is
  ``between(due, now)`` and "left" is ``between(now, due)``.
- The work is proportional to the number of calendar days covered, never to the number of minutes.
"""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = timezone.utc
ONE_DAY = timedelta(days=1)
# A schedule whose holidays hide every working day for this long is taken as broken rather than searched on.
MAX_DAYS = 366 * 20


class InvalidCalendar(ValueError):
    """A schedule that cannot be computed with: no business hours at all, an unknown time zone, an
    interval that ends before it starts or that overlaps another."""


def time_zone(name):
    """The ``ZoneInfo`` of an IANA name ("Europe/Paris"); ``InvalidCalendar`` for an unknown one."""
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise InvalidCalendar(f"Unknown time zone: {name!r}") from error


def _aware_utc(moment, name):
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, not {moment!r}")
    return moment.astimezone(UTC)


class Calendar:
    """A weekly schedule in a time zone, with holidays; or around the clock (``Calendar.always()``).

    ``week``: seven lists (Monday first, as ``date.weekday()``) of ``(start, end)`` ``time`` pairs,
    ``start < end``, not overlapping (each day's are sorted here); ``holidays``: ``date``\\ s in the zone.
    ``steps`` counts the calendar days the last ``add`` or ``between`` looked at (a diagnostic).
    """

    def __init__(self, zone="UTC", week=None, holidays=()):
        self.zone = zone if isinstance(zone, ZoneInfo) else time_zone(zone)
        self.around_the_clock = week is None
        self.holidays = frozenset(holidays)
        self.steps = 0
        if week is None:
            self.week = None
            return
        week = [sorted(day) for day in week]
        if len(week) != 7:
            raise InvalidCalendar("A week has seven days.")
        for day in week:
            for (start, end), following in zip(day, day[1:] + [None]):
                if not start < end:
                    raise InvalidCalendar(f"An interval ends before it starts: {start}-{end}")
                if following is not None and following[0] < end:
                    raise InvalidCalendar(f"Intervals overlap: {start}-{end} and {following[0]}-{following[1]}")
        if not any(week):
            raise InvalidCalendar("A business calendar needs business hours on at least one day of the week.")
        self.week = [tuple(day) for day in week]

    @classmethod
    def always(cls):
        """Around the clock: a business minute is any minute."""
        return cls()

    @classmethod
    def of(cls, business_calendar):
        """The calendar of a ``models.BusinessCalendar`` (its ``time_zone``, ``intervals`` and
        ``holidays``); ``None``: around the clock. ``InvalidCalendar`` for a calendar without business
        hours or with an unknown zone."""
        if business_calendar is None:
            return cls.always()
        week = [[] for _day in range(7)]
        for interval in business_calendar.intervals.all():
            week[interval.weekday].append((interval.start, interval.end))
        if not any(week):
            raise InvalidCalendar(f"The business calendar “{business_calendar}” has no business hours.")
        holidays = [holiday.date for holiday in business_calendar.holidays.all()]
        return cls(business_calendar.time_zone, week, holidays)

    def __repr__(self):
        if self.around_the_clock:
            return "<Calendar around the clock>"
        return f"<Calendar {self.zone.key}, {sum(map(len, self.week))} intervals, {len(self.holidays)} holidays>"

    # The schedule ---------------------------------------------------------------------------------------

    def windows(self, day):
        """The business intervals of the local ``day`` as ``(start, end)`` UTC datetimes, in order (none on a
        holiday)."""
        if day in self.holidays:
            return []
        found = []
        for start, end in self.week[day.weekday()]:
            start = datetime.combine(day, start, tzinfo=self.zone).astimezone(UTC)
            end = datetime.combine(day, end, tzinfo=self.zone).astimezone(UTC)
            if start < end:
                found.append((start, end))
        return found

    def _local_day(self, moment):
        return moment.astimezone(self.zone).date()

    # The arithmetic -------------------------------------------------------------------------------------

    def add(self, start, minutes):
        """The moment (UTC) when ``minutes`` business minutes have elapsed from ``start`` (aware). Minutes
        may be fractional; negative ones are refused (``ValueError``)."""
        cursor = _aware_utc(start, "start")
        remaining = timedelta(minutes=minutes)
        if remaining < timedelta(0):
            raise ValueError(f"minutes must not be negative: {minutes!r}")
        self.steps = 0
        if self.around_the_clock or not remaining:
            return cursor + remaining
        day = self._local_day(cursor)
        while self.steps < MAX_DAYS:
            self.steps += 1
            for window_start, window_end in self.windows(day):
                if window_end <= cursor:
                    continue
                begin = max(window_start, cursor)
                available = window_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
                cursor = window_end
            day += ONE_DAY
        raise InvalidCalendar(f"No business time found within {MAX_DAYS} days.")

    def between(self, a, b):
        """The business minutes (a float, exact to the microsecond) from ``a`` to ``b`` (both aware):
        negative when ``b`` is before ``a``."""
        first, last = _aware_utc(a, "a"), _aware_utc(b, "b")
        if last < first:
            return -self.between(last, first)
        self.steps = 0
        if self.around_the_clock:
            return (last - first) / timedelta(minutes=1)
        total = timedelta(0)
        day, last_day = self._local_day(first), self._local_day(last)
        while day <= last_day:
            self.steps += 1
            for window_start, window_end in self.windows(day):
                begin, end = max(window_start, first), min(window_end, last)
                if begin < end:
                    total += end - begin
            day += ONE_DAY
        return total / timedelta(minutes=1)

    def is_open(self, moment):
        """Whether ``moment`` (aware) is inside business hours."""
        moment = _aware_utc(moment, "moment")
        if self.around_the_clock:
            return True
        return any(start <= moment < end for start, end in self.windows(self._local_day(moment)))


def add(calendar, start, minutes):
    """``Calendar.of(calendar).add(start, minutes)``: ``calendar`` a ``BusinessCalendar`` or ``None``."""
    return Calendar.of(calendar).add(start, minutes)


def between(calendar, a, b):
    """``Calendar.of(calendar).between(a, b)``: ``calendar`` a ``BusinessCalendar`` or ``None``."""
    return Calendar.of(calendar).between(a, b)


__all__ = ["Calendar", "InvalidCalendar", "add", "between", "time_zone"]
