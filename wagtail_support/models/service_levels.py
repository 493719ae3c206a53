"""Service levels: business calendars (a weekly schedule in a time zone, with holidays) and the policies that
set a ticket's targets (first response, next response, resolution) and the automation of pending tickets.

Data and read-only helpers only: the arithmetic is ``wagtail_support.business_time``; computing a ticket's
due times is the workflow's job.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _
from django.conf import settings
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .catalog import Category, Team
from .tickets import Ticket

# How far up the catalog a policy's entry is looked for (a ticket's entry, its parent, ...): ``for_ticket``
# reads the chain in its one query, one scalar subquery per level.
MAX_CATALOG_DEPTH = 8


def validate_time_zone(value):
    """An IANA time zone name that ``zoneinfo`` knows ("Europe/Paris", "America/New_York", "UTC")."""
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("“%(value)s” is not a time zone name, e.g. Europe/Paris or America/New_York."),
            code="invalid_time_zone",
            params={"value": value},
        )


def default_time_zone():
    return settings.TIME_ZONE or "UTC"


def check_schedule(intervals):
    """Refuse a weekly schedule (``(weekday, start, end)`` triples) without any interval, with an interval
    that does not end after it starts (an interval over midnight is two intervals), or with two intervals
    of a day overlapping. Raises ``ValidationError`` with every problem found."""
    intervals = [(weekday, start, end) for weekday, start, end in intervals if start is not None and end is not None]
    errors = []
    if not intervals:
        errors.append(
            ValidationError(_("Give the business hours of at least one day of the week."), code="no_hours")
        )
    by_day = {}
    for weekday, start, end in intervals:
        if not start < end:
            errors.append(
                ValidationError(
                    _("%(day)s: an interval must end after it starts (%(start)s–%(end)s). Over midnight, give two "
                      "intervals."),
                    code="end_before_start",
                    params={"day": WEEKDAYS[weekday], "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")},
                )
            )
        else:
            by_day.setdefault(weekday, []).append((start, end))
    for weekday, day in sorted(by_day.items()):
        day.sort()
        for (start, end), (next_start, next_end) in zip(day, day[1:]):
            if next_start < end:
                errors.append(
                    ValidationError(
                        _("%(day)s: the intervals %(first)s and %(second)s overlap."),
                        code="overlap",
                        params={
                            "day": WEEKDAYS[weekday],
                            "first": f"{start:%H:%M}–{end:%H:%M}",
                            "second": f"{next_start:%H:%M}–{next_end:%H:%M}",
                        },
                    )
                )
    if errors:
        raise ValidationError(errors)


class BusinessCalendar(ClusterableModel):
    """Business hours: a weekly schedule (``intervals``) in a time zone, with holidays (``holidays``). A team
    names one (``Team.calendar``); a team without one works around the clock."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=63,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=_("The time zone of the hours and holidays below, e.g. Europe/Paris or America/New_York."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self):
        return self.name

    def check_schedule(self, intervals=None):
        """``check_schedule`` of ``intervals`` (``(weekday, start, end)`` triples), by default this calendar's
        own (saved, or held in its cluster)."""
        if intervals is None:
            intervals = [(i.weekday, i.start, i.end) for i in self.intervals.all()]
        check_schedule(intervals)


class BusinessHoursInterval(models.Model):
    """One interval of business hours on one day of the week, e.g. Monday 9:00–12:00."""

    calendar = ParentalKey(BusinessCalendar, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=sorted(WEEKDAYS.items()))
    start = models.TimeField(_("from"))
    end = models.TimeField(_("to"))

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")

    def __str__(self):
        return f"{WEEKDAYS[self.weekday]} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self):
        super().clean()
        if self.start is not None and self.end is not None and self.weekday is not None:
            try:
                check_schedule([(self.weekday, self.start, self.end)])
            except ValidationError as error:
                raise ValidationError({"end": error.error_list})


class BusinessHoliday(models.Model):
    """A day without business hours, in the calendar's time zone."""

    calendar = ParentalKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="wagtail_support_holiday_unique_date"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class ServiceLevelPolicyQuerySet(models.QuerySet):
    def matching(self, ticket):
        """The active policies that apply to ``ticket``, the most specific first: same priority; a team, when
        the policy names one, that is the ticket's; a catalog entry, when it names one, that is the ticket's
        or one of its parents (up to ``MAX_CATALOG_DEPTH`` levels). Entry and team > entry > team > neither;
        a closer entry before a farther one; then ``sort_order``. One query."""
        distance = []
        if ticket.category_id:
            distance.append(models.When(category_id=ticket.category_id, then=models.Value(0)))
            for level in range(1, MAX_CATALOG_DEPTH + 1):
                path = "__".join(["parent"] * level) + "_id"
                ancestor = Category.objects.filter(pk=ticket.category_id).values(path)[:1]
                distance.append(models.When(category_id=models.Subquery(ancestor), then=models.Value(level)))
        distance = (
            models.Case(*distance, default=None, output_field=models.IntegerField())
            if distance
            else models.Value(None, output_field=models.IntegerField())
        )
        team = models.Q(team__isnull=True)
        if ticket.team_id:
            team |= models.Q(team_id=ticket.team_id)
        rank = models.Case(
            models.When(category__isnull=False, team__isnull=False, then=models.Value(0)),
            models.When(category__isnull=False, then=models.Value(1)),
            models.When(team__isnull=False, then=models.Value(2)),
            default=models.Value(3),
            output_field=models.IntegerField(),
        )
        return (
            self.filter(team, is_active=True, priority=ticket.priority)
            .annotate(category_distance=distance, specificity=rank)
            .filter(models.Q(category__isnull=True) | models.Q(category_distance__isnull=False))
            .order_by("specificity", models.F("category_distance").asc(nulls_last=True), "sort_order", "pk")
        )

    def for_ticket(self, ticket):
        """The policy of ``ticket`` (``matching``'s first), or ``None``. One query."""
        return self.matching(ticket).first()


class ServiceLevelPolicy(models.Model):
    """The targets of the tickets of one priority (optionally of one team, one catalog entry and the entries
    under it), counted in the team's business hours or around the clock, and what happens to tickets that
    wait for their requester. A target left empty is no target."""

    name = models.CharField(_("name"), max_length=150)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(
        _("order"), default=0, help_text=_("Among equally specific policies, the lowest order applies.")
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Ticket.Priority.choices)
    team = models.ForeignKey(
        Team,
        verbose_name=_("support team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="service_level_policies",
        help_text=_("Empty: the tickets of every team."),
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("service catalog entry"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="service_level_policies",
        help_text=_("Empty: every entry. An entry also covers the entries under it."),
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (minutes)"), null=True, blank=True, help_text=_("Empty: no target.")
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response within (minutes)"),
        null=True,
        blank=True,
        help_text=_("After each message of the requester. Empty: no target."),
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (minutes)"), null=True, blank=True, help_text=_("Empty: no target.")
    )
    use_business_hours = models.BooleanField(
        _("count in the team's business hours"),
        default=True,
        help_text=_("Unticked, or for a team without business hours: around the clock."),
    )
    pause_while_pending = models.BooleanField(
        _("pause while waiting for the requester"), default=True,
        help_text=_("The time a ticket is pending does not count."),
    )
    warn_before_minutes = models.PositiveIntegerField(
        _("warn before a breach (minutes)"), default=60,
        help_text=_("A ticket is near breach this long before a target."),
    )
    remind_after_days = models.PositiveIntegerField(
        _("remind the requester after (days)"), null=True, blank=True,
        help_text=_("Days a ticket has been pending. Empty: no reminder."),
    )
    second_reminder_after_days = models.PositiveIntegerField(
        _("second reminder after (days)"), null=True, blank=True, help_text=_("Empty: no second reminder.")
    )
    close_after_days = models.PositiveIntegerField(
        _("close after (days)"), null=True, blank=True,
        help_text=_("Pending tickets are closed as “no reply” after this many days. Empty: never."),
    )

    objects = ServiceLevelPolicyQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("service level policy")
        verbose_name_plural = _("service level policies")

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        if self.category_id and not Category.objects.originals().filter(pk=self.category_id).exists():
            errors["category"] = ValidationError(
                _("Choose an entry of the catalog, not one of its translations."), code="translation"
            )
        steps = [
            ("remind_after_days", self.remind_after_days),
            ("second_reminder_after_days", self.second_reminder_after_days),
            ("close_after_days", self.close_after_days),
        ]
        if self.second_reminder_after_days is not None and self.remind_after_days is None:
            errors["second_reminder_after_days"] = ValidationError(
                _("A second reminder needs a first one."), code="no_first_reminder"
            )
        earlier = None
        for name, value in steps:
            if value is None:
                continue
            if value == 0:
                errors.setdefault(name, ValidationError(_("Give at least one day."), code="zero_days"))
            elif earlier is not None and value <= earlier[1]:
                errors.setdefault(
                    name,
                    ValidationError(
                        _("Must be more days than “%(earlier)s” (%(days)s)."),
                        code="order",
                        params={"earlier": self._meta.get_field(earlier[0]).verbose_name, "days": earlier[1]},
                    ),
                )
            earlier = (name, value)
        if errors:
            raise ValidationError(errors)

    def targets(self):
        """The targets set, as ``{"first_response": minutes, "next_response": ..., "resolution": ...}``
        (an unset target is left out)."""
        found = {
            "first_response": self.first_response_minutes,
            "next_response": self.next_response_minutes,
            "resolution": self.resolution_minutes,
        }
        return {name: minutes for name, minutes in found.items() if minutes is not None}

    def calendar_for(self, team):
        """The ``BusinessCalendar`` the targets are counted in for ``team`` (a ``Team`` or ``None``): the
        team's when the policy uses business hours, else ``None`` (around the clock). Reads ``team.calendar``
        (``select_related`` it to spare a query)."""
        if not self.use_business_hours or team is None or not team.calendar_id:
            return None
        return team.calendar
