"""The demo's service levels: the office's business hours (Paris, 9:00-12:00 and 14:00-18:00 on weekdays,
the French public holidays of the demo's year and the next) for every team, and a policy per priority
with first response, next response and resolution targets and the reminders and closing of pending
tickets. Idempotent: what exists already is kept as it is."""

import datetime

from wagtail_support.models import BusinessCalendar, BusinessHoliday, BusinessHoursInterval, ServiceLevelPolicy, Ticket

CALENDAR_NAME = "Paris office"
MORNING = (datetime.time(9), datetime.time(12))
AFTERNOON = (datetime.time(14), datetime.time(18))
# (month, day, name): the fixed French public holidays.
HOLIDAYS = [
    (1, 1, "Jour de l'an"),
    (5, 1, "Fête du Travail"),
    (5, 8, "Victoire 1945"),
    (7, 14, "Fête nationale"),
    (8, 15, "Assomption"),
    (11, 1, "Toussaint"),
    (11, 11, "Armistice"),
    (12, 25, "Noël"),
]
# priority -> (name, first response, next response, resolution) in business minutes.
POLICIES = [
    (Ticket.Priority.URGENT, "Urgent: 1 hour, solved within the day", 60, 120, 7 * 60),
    (Ticket.Priority.HIGH, "High: 4 hours, solved in 2 days", 4 * 60, 4 * 60, 2 * 7 * 60),
    (Ticket.Priority.NORMAL, "Normal: 1 working day, solved in 5 days", 7 * 60, 7 * 60, 5 * 7 * 60),
    (Ticket.Priority.LOW, "Low: 2 working days, solved in 10 days", 2 * 7 * 60, 2 * 7 * 60, 10 * 7 * 60),
]


def seed_service_levels(report, teams, today=None):
    today = today or datetime.date.today()
    calendar = BusinessCalendar.objects.filter(name=CALENDAR_NAME).first()
    created = calendar is None
    if created:
        calendar = BusinessCalendar.objects.create(name=CALENDAR_NAME, time_zone="Europe/Paris")
        for weekday in range(5):
            for start, end in (MORNING, AFTERNOON):
                BusinessHoursInterval.objects.create(calendar=calendar, weekday=weekday, start=start, end=end)
        for year in (today.year, today.year + 1):
            for month, day, name in HOLIDAYS:
                BusinessHoliday.objects.create(calendar=calendar, date=datetime.date(year, month, day), name=name)
    report.add("business hours", calendar.name, created)
    for team in teams.values():
        if team.calendar_id is None:
            team.calendar = calendar
            team.save(update_fields=["calendar"])
    for order, (priority, name, first, following, resolution) in enumerate(POLICIES, start=1):
        policy, created = ServiceLevelPolicy.objects.get_or_create(
            name=name,
            defaults={
                "priority": priority,
                "sort_order": order * 10,
                "first_response_minutes": first,
                "next_response_minutes": following,
                "resolution_minutes": resolution,
                "remind_after_days": 3,
                "second_reminder_after_days": 7,
                "close_after_days": 14,
            },
        )
        report.add("service levels", policy.name, created)
    return calendar
