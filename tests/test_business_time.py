"""Business-time arithmetic (``wagtail_support.business_time``): exact answers across weekends, holidays,
time zones and the DST changes of 2026, in O(days), and ``between`` the inverse of ``add``.

Pure functions: no database, except the last tests, which build a ``Calendar`` from a ``BusinessCalendar``.
"""

import random
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from wagtail_support.business_time import Calendar, InvalidCalendar, add, between

UTC = timezone.utc
PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
NINE_TO_FIVE = [[(time(9), time(17))]] * 5 + [[], []]


def office(zone="UTC", week=None, holidays=()):
    return Calendar(zone, NINE_TO_FIVE if week is None else week, holidays)


def at(year, month, day, hour=0, minute=0, zone=UTC, fold=0):
    return datetime(year, month, day, hour, minute, tzinfo=zone, fold=fold)


# add: weekends, holidays, inside and outside hours -------------------------------------------------------


def test_friday_afternoon_plus_two_hours_is_monday_ten():
    # 2026-12-04 is a Friday.
    assert office().add(at(2026, 12, 4, 16), 120) == at(2026, 12, 7, 10)


def test_a_target_reached_at_the_end_of_the_day_is_that_end():
    assert office().add(at(2026, 12, 4, 16), 60) == at(2026, 12, 4, 17)


def test_a_start_before_hours_counts_from_the_opening():
    assert office().add(at(2026, 12, 3, 6, 30), 30) == at(2026, 12, 3, 9, 30)


def test_a_start_after_hours_counts_from_the_next_opening():
    assert office().add(at(2026, 12, 3, 19), 30) == at(2026, 12, 4, 9, 30)


def test_a_start_on_saturday_counts_from_monday():
    assert office().add(at(2026, 12, 5, 11), 90) == at(2026, 12, 7, 10, 30)


def test_zero_minutes_is_the_start_itself_even_out_of_hours():
    assert office().add(at(2026, 12, 5, 11), 0) == at(2026, 12, 5, 11)


def test_negative_minutes_are_refused():
    with pytest.raises(ValueError):
        office().add(at(2026, 12, 4, 16), -1)


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError):
        office().add(datetime(2026, 12, 4, 16), 10)
    with pytest.raises(ValueError):
        office().between(datetime(2026, 12, 4, 16), at(2026, 12, 4, 17))


def test_a_holiday_is_skipped():
    # Friday 2026-12-25 is a holiday: Thursday 16:00 + 120 minutes is Monday 10:00.
    calendar = office(holidays=[date(2026, 12, 25)])

    assert calendar.add(at(2026, 12, 24, 16), 120) == at(2026, 12, 28, 10)
    assert calendar.between(at(2026, 12, 24, 16), at(2026, 12, 28, 10)) == 120


def test_a_start_on_a_holiday_counts_from_the_next_working_day():
    calendar = office(holidays=[date(2026, 12, 25)])

    assert calendar.add(at(2026, 12, 25, 10), 60) == at(2026, 12, 28, 10)


def test_two_intervals_a_day():
    week = [[(time(14), time(18)), (time(9), time(12))]] * 5 + [[], []]
    calendar = office(week=week)

    assert calendar.add(at(2026, 12, 3, 11), 120) == at(2026, 12, 3, 15)  # 11-12, then 14-15
    assert calendar.add(at(2026, 12, 3, 12, 30), 10) == at(2026, 12, 3, 14, 10)  # the lunch break
    assert calendar.add(at(2026, 12, 4, 17), 120) == at(2026, 12, 7, 10)  # Friday 17-18, Monday 9-10
    assert calendar.between(at(2026, 12, 3, 0), at(2026, 12, 4, 0)) == 7 * 60


def test_a_calendar_with_some_days_only():
    week = [[], [], [(time(10), time(11))], [], [], [], []]  # Wednesdays 10-11
    calendar = office(week=week)

    assert calendar.add(at(2026, 12, 2, 10, 30), 60) == at(2026, 12, 9, 10, 30)


# Time zones -------------------------------------------------------------------------------------------------


def test_a_paris_schedule_with_utc_inputs():
    # Paris is UTC+1 in December: 9-17 in Paris is 8-16 UTC.
    calendar = office("Europe/Paris")

    assert calendar.add(at(2026, 12, 4, 15), 120) == at(2026, 12, 7, 9)  # Friday 16:00 Paris + 2 h
    assert calendar.add(at(2026, 12, 4, 7), 30) == at(2026, 12, 4, 8, 30)  # 8:00 Paris: not yet open
    assert calendar.between(at(2026, 12, 4, 0), at(2026, 12, 5, 0)) == 480


def test_the_result_is_in_utc_whatever_the_zone_of_the_start():
    calendar = office("Europe/Paris")

    found = calendar.add(at(2026, 12, 4, 16, zone=PARIS), 120)

    assert found.tzinfo is UTC
    assert found == at(2026, 12, 7, 10, zone=PARIS)


def test_a_holiday_is_a_date_in_the_calendars_zone():
    # New Year's Day in New York starts at 05:00 UTC: the hours of 2026-12-31 in New York are not taken.
    calendar = office("America/New_York", holidays=[date(2027, 1, 1)])

    # Thursday 2026-12-31 16:00 New York (21:00 UTC) + 120 minutes: 16-17 on Thursday, then Monday 9-10.
    assert calendar.add(at(2026, 12, 31, 21), 120) == at(2027, 1, 4, 10, zone=NEW_YORK)


def test_an_unknown_zone_is_refused():
    with pytest.raises(InvalidCalendar):
        office("Europe/Atlantis")


# DST: a 9:00-17:00 day is 8 hours on both change days ------------------------------------------------------


@pytest.mark.parametrize(
    "zone, day",
    [
        (PARIS, date(2026, 3, 29)),
        (PARIS, date(2026, 10, 25)),
        (NEW_YORK, date(2026, 3, 8)),
        (NEW_YORK, date(2026, 11, 1)),
    ],
)
def test_a_dst_day_has_eight_business_hours(zone, day):
    # The change days are Sundays: the schedule here works every day.
    calendar = Calendar(zone.key, [[(time(9), time(17))]] * 7)
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)

    assert calendar.between(midnight, next_midnight) == 8 * 60
    assert calendar.add(midnight, 8 * 60) == datetime.combine(day, time(17), tzinfo=zone)
    assert calendar.add(midnight, 8 * 60 + 1) == datetime.combine(day + timedelta(days=1), time(9, 1), tzinfo=zone)
    # 9:00 on the day and on the day before are 24 hours apart on the clock, 23 or 25 in real time.
    before = datetime.combine(day - timedelta(days=1), time(9), tzinfo=zone)
    assert calendar.add(before, 8 * 60) == datetime.combine(day - timedelta(days=1), time(17), tzinfo=zone)
    assert calendar.between(before, datetime.combine(day, time(9), tzinfo=zone)) == 8 * 60


def test_hours_across_the_spring_forward_gap_are_real_hours():
    # 2026-03-29 in Paris: 02:00 becomes 03:00. 01:00-04:00 on the clock is two real hours.
    calendar = Calendar("Europe/Paris", [[(time(1), time(4))]] * 7)
    day = date(2026, 3, 29)

    assert calendar.between(at(2026, 3, 28, 23), at(2026, 3, 29, 23)) == 120
    assert calendar.add(datetime.combine(day, time(1), tzinfo=PARIS), 60) == at(2026, 3, 29, 1)  # 03:00 CEST


def test_hours_across_the_fall_back_fold_are_real_hours():
    # 2026-10-25 in Paris: 03:00 becomes 02:00 again. 01:00-04:00 on the clock is four real hours.
    calendar = Calendar("Europe/Paris", [[(time(1), time(4))]] * 7)

    assert calendar.between(at(2026, 10, 24, 22), at(2026, 10, 25, 22)) == 240


# between: the inverse of add --------------------------------------------------------------------------------


def test_between_is_negative_when_the_end_is_before_the_start():
    calendar = office()

    assert calendar.between(at(2026, 12, 7, 10), at(2026, 12, 4, 16)) == -120
    assert calendar.between(at(2026, 12, 7, 10), at(2026, 12, 7, 10)) == 0


def test_between_out_of_hours_is_zero():
    assert office().between(at(2026, 12, 5, 8), at(2026, 12, 6, 20)) == 0


@pytest.mark.parametrize("seed", range(8))
def test_between_is_the_inverse_of_add(seed):
    rng = random.Random(seed)
    zone = rng.choice(["UTC", "Europe/Paris", "America/New_York"])
    week = [[(time(8), time(12)), (time(13, 30), time(18))]] * 5 + [[(time(10), time(14))], []]
    calendar = Calendar(zone, week, [date(2026, 3, 30), date(2026, 11, 2), date(2026, 12, 25)])
    start = at(2026, 1, 1) + timedelta(minutes=rng.randrange(365 * 24 * 60))
    for _attempt in range(20):
        minutes = rng.randrange(0, 20_000)
        due = calendar.add(start, minutes)
        assert calendar.between(start, due) == minutes, (zone, start, minutes, due)
        assert calendar.between(due, start) == -minutes
        # ``due`` is the first moment with that many minutes elapsed: one minute earlier has fewer.
        if minutes:
            assert calendar.between(start, due - timedelta(minutes=1)) < minutes


# Around the clock, huge targets, broken calendars ------------------------------------------------------------


def test_around_the_clock_is_plain_minutes():
    calendar = Calendar.always()
    start = at(2026, 3, 28, 22, zone=PARIS)

    # Real minutes: across the night the clocks go forward, 10,000 minutes end an hour later on the clock.
    assert calendar.add(start, 10_000) == start.astimezone(UTC) + timedelta(minutes=10_000)
    assert calendar.add(start, 10_000) == at(2026, 4, 4, 21, 40, zone=PARIS)
    assert calendar.between(start, at(2026, 3, 29, 22, zone=PARIS)) == 23 * 60  # the short day: real minutes
    assert Calendar.of(None).around_the_clock
    assert add(None, start, 5) == start + timedelta(minutes=5)
    assert between(None, start, start + timedelta(hours=1)) == 60


def test_ten_thousand_minutes_take_a_step_per_day_not_per_minute():
    calendar = office("Europe/Paris")
    start = at(2026, 12, 4, 15)

    due = calendar.add(start, 10_000)

    # Friday 16:00 Paris: 60 minutes that day, then 20 full days (9,600), then 340 minutes on Monday
    # 2027-01-04: 14:40. A month of calendar time, visited one day at a time.
    assert calendar.steps <= 32
    assert calendar.between(start, due) == 10_000
    assert calendar.steps <= 32
    assert due == at(2027, 1, 4, 14, 40, zone=PARIS)


def test_a_calendar_without_hours_is_refused_clearly():
    with pytest.raises(InvalidCalendar, match="at least one day"):
        Calendar("UTC", [[]] * 7)


def test_an_interval_ending_before_it_starts_or_overlapping_is_refused():
    with pytest.raises(InvalidCalendar, match="ends before it starts"):
        Calendar("UTC", [[(time(17), time(9))]] + [[]] * 6)
    with pytest.raises(InvalidCalendar, match="overlap"):
        Calendar("UTC", [[(time(9), time(12)), (time(11), time(14))]] + [[]] * 6)


def test_holidays_every_day_for_decades_are_an_error_not_a_hang():
    calendar = Calendar("UTC", [[(time(9), time(10))]] + [[]] * 6)
    calendar.holidays = frozenset(date(2026, 1, 5) + timedelta(weeks=n) for n in range(2000))

    with pytest.raises(InvalidCalendar):
        calendar.add(at(2026, 1, 1), 30)


# From the models ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_calendar_of_a_business_calendar_reads_its_hours_and_holidays(django_assert_num_queries):
    from wagtail_support.models import BusinessCalendar, BusinessHoliday, BusinessHoursInterval

    saved = BusinessCalendar.objects.create(name="Paris office", time_zone="Europe/Paris")
    for weekday in range(5):
        BusinessHoursInterval.objects.create(calendar=saved, weekday=weekday, start=time(9), end=time(17))
    BusinessHoliday.objects.create(calendar=saved, date=date(2026, 12, 25), name="Christmas")
    loaded = BusinessCalendar.objects.prefetch_related("intervals", "holidays").get(pk=saved.pk)

    with django_assert_num_queries(0):
        calendar = Calendar.of(loaded)

    # Thursday 24th 16:00 Paris + 2 hours: Christmas is off, so Monday 28th 10:00 Paris.
    assert calendar.add(at(2026, 12, 24, 15), 120) == at(2026, 12, 28, 10, zone=PARIS)


@pytest.mark.django_db
def test_a_business_calendar_without_hours_raises_a_clear_error():
    from wagtail_support.models import BusinessCalendar

    empty = BusinessCalendar.objects.create(name="Nobody home", time_zone="UTC")

    with pytest.raises(InvalidCalendar, match="Nobody home.*no business hours"):
        Calendar.of(empty)
