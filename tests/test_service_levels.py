"""Service levels, the foundation: business calendars and service level policies (``models.service_levels``),
which policy a ticket gets (``ServiceLevelPolicy.objects.for_ticket``, one query), their validation, and
their configuration screens (supervisors only), with a team's business hours on its form.
"""

from datetime import date, time

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import translation
from wagtail.models import Locale

from tests import factories
from wagtail_support import groups
from wagtail_support.admin.viewsets import url_for
from wagtail_support.models import (
    BusinessCalendar,
    BusinessHoliday,
    BusinessHoursInterval,
    ServiceLevelPolicy,
    Team,
    Ticket,
)
from wagtail_support.models.service_levels import check_schedule

pytestmark = pytest.mark.django_db

HIGH = Ticket.Priority.HIGH


def policy(name, priority=HIGH, **kwargs):
    return ServiceLevelPolicy.objects.create(name=name, priority=priority, **kwargs)


def calendar(name="Paris office", zone="Europe/Paris", days=range(5), hours=((9, 17),)):
    saved = BusinessCalendar.objects.create(name=name, time_zone=zone)
    for weekday in days:
        for start, end in hours:
            BusinessHoursInterval.objects.create(calendar=saved, weekday=weekday, start=time(start), end=time(end))
    return saved


@pytest.fixture
def high_ticket(ticket):
    Ticket.objects.filter(pk=ticket.pk).update(priority=HIGH)
    ticket.refresh_from_db()
    return ticket


# Which policy a ticket gets ---------------------------------------------------------------------------------


def test_the_most_specific_policy_wins(high_ticket, team, category):
    policy("Everyone", sort_order=0)
    policy("Team", team=team, sort_order=5)
    policy("Entry", category=category, sort_order=9)
    both = policy("Entry and team", category=category, team=team, sort_order=10)

    assert ServiceLevelPolicy.objects.for_ticket(high_ticket) == both
    names = [found.name for found in ServiceLevelPolicy.objects.matching(high_ticket)]
    assert names == ["Entry and team", "Entry", "Team", "Everyone"]


def test_inactive_policies_and_other_priorities_teams_and_entries_are_ignored(high_ticket, team, other_team, category):
    fallback = policy("Everyone")
    policy("Switched off", team=team, is_active=False)
    policy("Urgent only", priority=Ticket.Priority.URGENT, team=team)
    policy("Other team", team=other_team)
    policy("Other entry", category=factories.make_category("Invoices", other_team))

    assert ServiceLevelPolicy.objects.for_ticket(high_ticket) == fallback


def test_a_policy_of_a_parent_entry_covers_the_entries_under_it(requester, team, category):
    child = factories.make_category("Passwords", parent=category)
    grandchild = factories.make_category("Two-factor", parent=child)
    ticket = factories.open_ticket(requester, category=grandchild, priority=HIGH)
    policy("Everyone")
    on_root = policy("Accounts", category=category)

    assert ServiceLevelPolicy.objects.for_ticket(ticket) == on_root

    # A closer entry is more specific than a farther one, whatever the order.
    on_child = policy("Passwords", category=child, sort_order=50)
    assert ServiceLevelPolicy.objects.for_ticket(ticket) == on_child
    # An entry under the ticket's does not cover it.
    policy("Below", category=factories.make_category("Hardware keys", parent=grandchild))
    assert ServiceLevelPolicy.objects.for_ticket(ticket) == on_child


def test_equally_specific_policies_go_by_order(high_ticket, team):
    policy("Second", team=team, sort_order=2)
    first = policy("First", team=team, sort_order=1)

    assert ServiceLevelPolicy.objects.for_ticket(high_ticket) == first


def test_no_policy_is_none(high_ticket):
    policy("Low only", priority=Ticket.Priority.LOW)

    assert ServiceLevelPolicy.objects.for_ticket(high_ticket) is None


def test_a_ticket_without_team_or_entry_gets_only_the_general_policies(requester, team, category):
    ticket = factories.open_ticket(requester, priority=HIGH)
    Ticket.objects.filter(pk=ticket.pk).update(team=None, category=None)
    ticket.refresh_from_db()
    general = policy("Everyone", sort_order=9)
    policy("Team", team=team)
    policy("Entry", category=category)

    assert ServiceLevelPolicy.objects.for_ticket(ticket) == general


def test_choosing_a_policy_is_one_query(django_assert_num_queries, requester, team, category):
    deep = category
    for level in range(5):
        deep = factories.make_category(f"Level {level}", parent=deep)
    ticket = factories.open_ticket(requester, category=deep, priority=HIGH)
    ticket = Ticket.objects.get(pk=ticket.pk)  # nothing of its entry loaded
    policy("Everyone")
    policy("Team", team=team)
    on_root = policy("Accounts", category=category, team=team)

    with django_assert_num_queries(1):
        assert ServiceLevelPolicy.objects.for_ticket(ticket) == on_root


def test_a_policy_counts_in_its_teams_business_hours_or_around_the_clock(team):
    office = calendar()
    team.calendar = office
    team.save()
    counted = policy("Office hours", team=team)
    always = policy("Always", use_business_hours=False)

    assert counted.calendar_for(team) == office
    assert always.calendar_for(team) is None
    assert counted.calendar_for(factories.make_team("Night shift")) is None
    assert counted.calendar_for(None) is None
    assert policy("Targets", first_response_minutes=60, resolution_minutes=480).targets() == {
        "first_response": 60,
        "resolution": 480,
    }


# Validation -------------------------------------------------------------------------------------------------


def test_overlapping_intervals_are_refused_with_a_translated_message():
    with pytest.raises(ValidationError) as caught:
        check_schedule([(0, time(9), time(12)), (0, time(11), time(14)), (1, time(9), time(12))])
    assert [error.code for error in caught.value.error_list] == ["overlap"]
    with translation.override("fr"):
        assert "lundi" in " ".join(caught.value.messages)
    assert "Monday: the intervals 09:00–12:00 and 11:00–14:00 overlap." in caught.value.messages


def test_touching_intervals_are_fine_but_reversed_or_missing_ones_are_not():
    check_schedule([(0, time(9), time(12)), (0, time(12), time(14))])
    with pytest.raises(ValidationError) as caught:
        check_schedule([(2, time(18), time(9))])
    assert [error.code for error in caught.value.error_list] == ["end_before_start"]
    with pytest.raises(ValidationError) as caught:
        check_schedule([])
    assert [error.code for error in caught.value.error_list] == ["no_hours"]


def test_an_interval_row_ending_before_it_starts_is_refused():
    office = calendar(days=[])
    interval = BusinessHoursInterval(calendar=office, weekday=0, start=time(18), end=time(2))

    with pytest.raises(ValidationError) as caught:
        interval.full_clean()
    assert "end" in caught.value.message_dict


def test_a_calendar_checks_its_own_schedule():
    office = calendar(days=[0], hours=((9, 12), (11, 13)))

    with pytest.raises(ValidationError):
        office.check_schedule()
    calendar("Fine", days=[0, 1]).check_schedule()


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ValidationError) as caught:
        BusinessCalendar(name="Atlantis", time_zone="Europe/Atlantis").full_clean()
    assert "time_zone" in caught.value.message_dict
    BusinessCalendar(name="New York", time_zone="America/New_York").full_clean()


@pytest.mark.parametrize(
    "days, field",
    [
        ({"remind_after_days": 3, "second_reminder_after_days": 3}, "second_reminder_after_days"),
        ({"remind_after_days": 3, "second_reminder_after_days": 5, "close_after_days": 4}, "close_after_days"),
        ({"remind_after_days": 5, "close_after_days": 2}, "close_after_days"),
        ({"second_reminder_after_days": 5}, "second_reminder_after_days"),
        ({"remind_after_days": 0}, "remind_after_days"),
    ],
)
def test_the_reminder_days_must_come_in_order(days, field):
    with pytest.raises(ValidationError) as caught:
        ServiceLevelPolicy(name="Waiting", priority=HIGH, **days).full_clean()
    assert field in caught.value.message_dict


def test_reminder_days_in_order_are_fine():
    ServiceLevelPolicy(
        name="Waiting", priority=HIGH, remind_after_days=3, second_reminder_after_days=7, close_after_days=14
    ).full_clean()
    ServiceLevelPolicy(name="Close only", priority=HIGH, close_after_days=10).full_clean()


def test_a_policy_names_a_catalog_entry_not_a_translation(category):
    french = Locale.objects.create(language_code="fr")
    translated = category.copy_for_translation(french)
    translated.name = "Comptes"
    translated.save()

    with pytest.raises(ValidationError) as caught:
        ServiceLevelPolicy(name="French", priority=HIGH, category=translated).full_clean()
    assert "category" in caught.value.message_dict
    ServiceLevelPolicy(name="Original", priority=HIGH, category=category).full_clean()


def test_a_calendar_in_use_by_a_team_cannot_be_deleted(team):
    office = calendar()
    team.calendar = office
    team.save()

    with pytest.raises(ProtectedError):
        office.delete()


# The screens: supervisors only ------------------------------------------------------------------------------


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def refused_to_admin_home(response):
    return response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def calendar_post(name="Lyon office", zone="Europe/Paris", intervals=(), holidays=()):
    data = {
        "name": name,
        "time_zone": zone,
        "intervals-TOTAL_FORMS": str(len(intervals)),
        "intervals-INITIAL_FORMS": "0",
        "intervals-MIN_NUM_FORMS": "0",
        "intervals-MAX_NUM_FORMS": "1000",
        "holidays-TOTAL_FORMS": str(len(holidays)),
        "holidays-INITIAL_FORMS": "0",
        "holidays-MIN_NUM_FORMS": "0",
        "holidays-MAX_NUM_FORMS": "1000",
    }
    for index, (weekday, start, end) in enumerate(intervals):
        data.update({f"intervals-{index}-weekday": str(weekday), f"intervals-{index}-start": start, f"intervals-{index}-end": end})
    for index, (day, label) in enumerate(holidays):
        data.update({f"holidays-{index}-date": day, f"holidays-{index}-name": label})
    return data


def test_a_supervisor_creates_a_calendar_with_two_intervals_a_day_and_a_holiday(client, supervisor):
    client.force_login(supervisor)
    assert client.get(url_for(BusinessCalendar, "create")).status_code == 200

    response = client.post(
        url_for(BusinessCalendar, "create"),
        calendar_post(
            intervals=[(0, "09:00", "12:00"), (0, "14:00", "18:00"), (1, "09:00", "17:00")],
            holidays=[("2026-12-25", "Christmas")],
        ),
    )

    assert response.status_code == 302, soup(response).select(".error-message, .help-critical")
    saved = BusinessCalendar.objects.get(name="Lyon office")
    assert saved.time_zone == "Europe/Paris"
    assert sorted((i.weekday, i.start, i.end) for i in saved.intervals.all()) == [
        (0, time(9), time(12)),
        (0, time(14), time(18)),
        (1, time(9), time(17)),
    ]
    assert list(BusinessHoliday.objects.filter(calendar=saved).values_list("date", flat=True)) == [date(2026, 12, 25)]
    listing = client.get(url_for(BusinessCalendar, "index"))
    assert listing.status_code == 200 and "Lyon office" in listing.content.decode()


def test_the_calendar_form_refuses_overlapping_intervals(client, supervisor):
    client.force_login(supervisor)

    response = client.post(
        url_for(BusinessCalendar, "create"),
        calendar_post(intervals=[(2, "09:00", "12:00"), (2, "11:30", "18:00")]),
    )

    assert response.status_code == 200
    assert "Wednesday: the intervals 09:00–12:00 and 11:30–18:00 overlap." in response.content.decode()
    assert not BusinessCalendar.objects.filter(name="Lyon office").exists()


@pytest.mark.parametrize(
    "post",
    [
        calendar_post(intervals=[]),
        calendar_post(intervals=[(0, "18:00", "09:00")]),
        calendar_post(zone="Mars/Olympus", intervals=[(0, "09:00", "17:00")]),
    ],
    ids=["no hours", "over midnight", "unknown zone"],
)
def test_the_calendar_form_refuses_a_broken_calendar(client, supervisor, post):
    client.force_login(supervisor)

    response = client.post(url_for(BusinessCalendar, "create"), post)

    assert response.status_code == 200
    assert not BusinessCalendar.objects.exists()


def test_a_supervisor_creates_a_policy(client, supervisor, team, category):
    client.force_login(supervisor)
    page = client.get(url_for(ServiceLevelPolicy, "create"))
    assert page.status_code == 200
    options = [option.get_text() for option in soup(page).select('select[name="category"] option')]
    assert "Accounts" in options

    response = client.post(
        url_for(ServiceLevelPolicy, "create"),
        {
            "name": "Helpdesk, high",
            "priority": HIGH,
            "team": team.pk,
            "category": category.pk,
            "first_response_minutes": "60",
            "next_response_minutes": "",
            "resolution_minutes": "960",
            "use_business_hours": "on",
            "pause_while_pending": "on",
            "warn_before_minutes": "30",
            "remind_after_days": "3",
            "second_reminder_after_days": "7",
            "close_after_days": "14",
            "sort_order": "0",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    saved = ServiceLevelPolicy.objects.get(name="Helpdesk, high")
    assert (saved.team, saved.category, saved.next_response_minutes) == (team, category, None)
    assert saved.targets() == {"first_response": 60, "resolution": 960}
    assert client.get(url_for(ServiceLevelPolicy, "index")).status_code == 200
    assert client.get(url_for(ServiceLevelPolicy, "edit", saved.pk)).status_code == 200


def test_the_policy_form_refuses_reminders_out_of_order(client, supervisor):
    client.force_login(supervisor)

    response = client.post(
        url_for(ServiceLevelPolicy, "create"),
        {"name": "Bad", "priority": HIGH, "warn_before_minutes": "60", "sort_order": "0",
         "remind_after_days": "5", "close_after_days": "3"},
    )

    assert response.status_code == 200
    assert not ServiceLevelPolicy.objects.exists()


@pytest.mark.parametrize("model", [BusinessCalendar, ServiceLevelPolicy])
def test_an_agent_is_refused_the_service_level_screens(client, agent, model):
    office = calendar()
    obj = office if model is BusinessCalendar else policy("Everyone")
    client.force_login(agent)

    assert refused_to_admin_home(client.get(url_for(model, "index")))
    assert refused_to_admin_home(client.get(url_for(model, "create")))
    assert refused_to_admin_home(client.post(url_for(model, "edit", obj.pk), {"name": "Hacked"}))
    assert refused_to_admin_home(client.post(url_for(model, "delete", obj.pk)))
    assert model.objects.filter(pk=obj.pk).exclude(name="Hacked").exists()


def test_only_supervisors_hold_the_service_level_permissions():
    codenames = {
        f"{action}_{model}" for model in ("businesscalendar", "servicelevelpolicy")
        for action in ("add", "change", "delete", "view")
    }

    def held(name):
        return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

    assert codenames <= held(groups.SUPERVISORS)
    assert not codenames & held(groups.AGENTS)
    assert codenames <= set(groups.REGISTERED_PERMISSIONS)


def test_the_support_menu_shows_the_service_level_screens_to_supervisors_only(client, supervisor, agent):
    client.force_login(supervisor)
    body = client.get(reverse("wagtailadmin_home")).content.decode()
    assert url_for(BusinessCalendar, "index") in body and url_for(ServiceLevelPolicy, "index") in body

    client.force_login(agent)
    body = client.get(reverse("wagtailadmin_home")).content.decode()
    assert url_for(BusinessCalendar, "index") not in body and url_for(ServiceLevelPolicy, "index") not in body


# A team's business hours on its form ------------------------------------------------------------------------


def test_the_team_form_chooses_the_teams_business_hours(client, supervisor, team):
    office = calendar()
    client.force_login(supervisor)

    page = soup(client.get(url_for(Team, "edit", team.pk)))
    options = {option.get_text(): option.get("value") for option in page.select('select[name="calendar"] option')}
    assert options.get("Paris office") == str(office.pk)
    assert page.find("label", attrs={"for": "id_calendar"})

    response = client.post(
        url_for(Team, "edit", team.pk),
        {"name": team.name, "slug": team.slug, "calendar": office.pk, "is_active": "on"},
    )

    assert response.status_code == 302
    team.refresh_from_db()
    assert team.calendar == office

    client.post(url_for(Team, "edit", team.pk), {"name": team.name, "slug": team.slug, "calendar": "", "is_active": "on"})
    team.refresh_from_db()
    assert team.calendar is None  # around the clock


def test_editing_a_calendar_replaces_an_interval_by_two(client, supervisor):
    from tests.test_admin_config import edit_form, submitted_values

    office = calendar(days=[0])
    client.force_login(supervisor)
    data = submitted_values(edit_form(client.get(url_for(BusinessCalendar, "edit", office.pk))))
    assert data["intervals-TOTAL_FORMS"] == ["1"] and data["intervals-0-start"] == ["09:00"]
    # The 9-17 row deleted, 8-12 and 13-17 added: no overlap with the deleted row.
    data["intervals-0-DELETE"] = ["1"]
    data.update({"intervals-TOTAL_FORMS": ["3"]})
    for index, (start, end) in enumerate([("08:00", "12:00"), ("13:00", "17:00")], start=1):
        data.update({f"intervals-{index}-weekday": ["0"], f"intervals-{index}-start": [start],
                     f"intervals-{index}-end": [end], f"intervals-{index}-id": [""]})

    response = client.post(url_for(BusinessCalendar, "edit", office.pk), data)

    assert response.status_code == 302
    assert sorted((i.start, i.end) for i in office.intervals.all()) == [(time(8), time(12)), (time(13), time(17))]


def test_editing_a_calendar_refuses_a_new_interval_over_a_kept_one(client, supervisor):
    from tests.test_admin_config import edit_form, submitted_values

    office = calendar(days=[0])
    client.force_login(supervisor)
    data = submitted_values(edit_form(client.get(url_for(BusinessCalendar, "edit", office.pk))))
    data.update({"intervals-TOTAL_FORMS": ["2"], "intervals-1-weekday": ["0"], "intervals-1-start": ["16:00"],
                 "intervals-1-end": ["18:00"], "intervals-1-id": [""]})

    response = client.post(url_for(BusinessCalendar, "edit", office.pk), data)

    assert response.status_code == 200
    assert "Monday: the intervals 09:00–17:00 and 16:00–18:00 overlap." in response.content.decode()
    assert [(i.start, i.end) for i in office.intervals.all()] == [(time(9), time(17))]


def test_the_policy_listing_names_entries_in_the_tree_in_a_fixed_number_of_queries(
    client, supervisor, team, category
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    child = factories.make_category("Passwords", parent=category)
    policy("On the child", category=child, team=team)
    client.force_login(supervisor)
    client.get(url_for(ServiceLevelPolicy, "index"))  # warm the per-request caches of the admin
    with CaptureQueriesContext(connection) as few:
        body = client.get(url_for(ServiceLevelPolicy, "index")).content.decode()
    assert "Accounts › Passwords" in body and "Helpdesk" in body

    for level in range(6):
        child = factories.make_category(f"Level {level}", parent=child)
        policy(f"Policy {level}", category=child)
    with CaptureQueriesContext(connection) as many:
        body = client.get(url_for(ServiceLevelPolicy, "index")).content.decode()
    assert "Policy 5" in body
    assert len(many) == len(few)
