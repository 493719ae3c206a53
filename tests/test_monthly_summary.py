"""The reports' monthly summary mail (``automation.monthly_summaries``, run by ``support_tick``) and its opt-in
on the account page ("Support: monthly summary by email").

Sent on and after the first day of a month, about the month before against the one before it, once per month
whatever the number of ticks, only to active agents who asked for it, each about the tickets they may see, in
their own language.
"""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse
from wagtail.users.models import UserProfile

from tests import factories
from tests.test_mail_outgoing import account_form_data
from wagtail_support import automation
from wagtail_support.groups import AGENTS
from wagtail_support.models import OutboundMail, ReportSubscription, Ticket

pytestmark = pytest.mark.django_db

UTC = datetime.timezone.utc
HOUR = 3600
MARCH_1 = datetime.datetime(2026, 3, 1, 6, 0, tzinfo=UTC)  # 7:00 in Paris, the reports' zone here
_numbers = iter(range(800000, 900000))


@pytest.fixture(autouse=True)
def _zone(settings):
    settings.WAGTAILSUPPORT_REPORTS_TIME_ZONE = "Europe/Paris"


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the mails a block records, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def make(created, **fields):
    if fields.get("closed_at") is not None:
        fields.setdefault("status", Ticket.Status.CLOSED)
    return Ticket.objects.create(number=next(_numbers), subject="s", description="d", created_at=created, **fields)


def at(month, day, hour=12):
    return datetime.datetime(2026, month, day, hour, tzinfo=UTC)


def subscribe(user, wanted=True):
    return ReportSubscription.objects.create(user=user, monthly_summary=wanted)


def tick(on_commit, now=MARCH_1):
    with on_commit():
        return automation.tick(now=now)


@pytest.fixture
def history(team, other_team):
    """February: 3 tickets of ``team`` (two closed in 2 h and 4 h, one rated good), 5 of ``other_team``;
    January: 1 ticket of ``team``."""
    make(at(2, 3), team=team, closed_at=at(2, 3, 14), resolution_seconds=2 * HOUR, resolution_met=True,
         satisfaction="good", satisfaction_at=at(2, 4))
    make(at(2, 10), team=team, closed_at=at(2, 10, 16), resolution_seconds=4 * HOUR, resolution_met=False)
    make(at(2, 27), team=team)
    for day in range(1, 6):
        make(at(2, day), team=other_team, closed_at=at(2, day, 20), resolution_seconds=8 * HOUR)
    make(at(1, 20), team=team)


def summaries():
    return [m for m in mail.outbox if m.anymail_test_params["metadata"]["event"] == "monthly_summary"]


def test_sent_once_a_month_whatever_the_ticks(supervisor, history, on_commit):
    subscribe(supervisor)
    result = tick(on_commit)
    assert result.done[automation.MONTHLY_SUMMARY] == 1
    [sent] = summaries()
    assert sent.to == [supervisor.email]
    assert sent.subject == "Support in February 2026: 8 tickets created, 7 closed"
    text = sent.body
    assert "The support in February 2026, compared with January 2026:" in text
    assert "Tickets created: 8 (January 2026: 1)" in text
    assert "Resolution, median: 8 h (January 2026: –)" in text  # 2 h, 4 h and five of 8 h
    assert "Satisfied requesters: 100% of 1 (January 2026: –)" in text
    assert "Every team's tickets." in text
    # The reports page on the month summed up, in both versions.
    link = "/admin/support/reports/?period=custom&start=2026-02-01&end=2026-02-28"
    assert link in text
    html = sent.alternatives[0][0]
    assert "February 2026" in html and "<table" in html
    assert link.replace("&", "&amp;") in html
    assert ReportSubscription.objects.get(user=supervisor).last_sent_month == datetime.date(2026, 2, 1)

    # Later ticks of March send nothing more; April's first tick sends March's.
    tick(on_commit, MARCH_1 + datetime.timedelta(minutes=5))
    tick(on_commit, at(3, 20))
    assert len(summaries()) == 1
    tick(on_commit, datetime.datetime(2026, 4, 1, 0, 5, tzinfo=UTC))  # 2:05 on 1 April in Paris
    assert len(summaries()) == 2
    assert summaries()[1].subject == "Support in March 2026: 0 tickets created, 0 closed"


def test_not_before_the_first_of_the_month_in_the_reports_time_zone(supervisor, history, on_commit):
    subscribe(supervisor)
    ReportSubscription.objects.update(last_sent_month=datetime.date(2026, 1, 1))
    # 28 February, 23:30 UTC: still February in UTC, already 1 March in Paris.
    tick(on_commit, datetime.datetime(2026, 2, 28, 22, 30, tzinfo=UTC))  # 23:30 in Paris: February
    assert summaries() == []
    tick(on_commit, datetime.datetime(2026, 2, 28, 23, 30, tzinfo=UTC))  # 0:30 on 1 March in Paris
    assert len(summaries()) == 1


def test_a_run_that_lost_the_race_sends_nothing(supervisor, history, on_commit):
    subscribe(supervisor)
    # Both runs read the subscription as waiting; the first claims it, the second's UPDATE finds it claimed.
    stale = ReportSubscription.objects.select_related("user").get(user=supervisor)
    tick(on_commit)
    start, end = automation.summary_month(MARCH_1)
    with on_commit():
        assert automation._send_summary(stale, start, end) is False
    assert len(summaries()) == 1
    assert OutboundMail.objects.filter(event="monthly_summary").count() == 1


def test_scoped_to_the_agents_teams(agent, team, other_team, history, on_commit):
    subscribe(agent)
    tick(on_commit)
    [sent] = summaries()
    assert sent.to == [agent.email]
    # Only the three February tickets of the agent's team; the five of the other team are not theirs.
    assert "Tickets created: 3 (January 2026: 1)" in sent.body
    assert "Tickets closed: 2 (January 2026: 0)" in sent.body
    assert "Resolution, median: 3 h (January 2026: –)" in sent.body
    assert "Resolutions on time: 50% of 2" in sent.body
    assert "The tickets of your teams (Helpdesk) and those assigned to you." in sent.body
    assert sent.subject == "Support in February 2026: 3 tickets created, 2 closed"


def test_opted_out_not_subscribed_and_former_agents_get_nothing(agent, colleague, outsider_agent, history, on_commit):
    subscribe(agent, wanted=False)
    subscribe(outsider_agent)
    outsider_agent.groups.remove(Group.objects.get(name=AGENTS))  # no longer an agent
    # colleague never subscribed.
    result = tick(on_commit)
    assert result.done[automation.MONTHLY_SUMMARY] == 0
    assert summaries() == []
    assert not OutboundMail.objects.filter(event="monthly_summary").exists()
    # The former agent's choice is kept, unclaimed: should they become an agent again, they get it.
    assert ReportSubscription.objects.get(user=outsider_agent).last_sent_month is None


def test_a_dry_run_says_who_and_sends_nothing(supervisor, history, on_commit):
    subscribe(supervisor)
    with on_commit():
        result = automation.tick(now=MARCH_1, dry_run=True)
    assert result.planned == [(supervisor.get_username(), automation.MONTHLY_SUMMARY)]
    assert summaries() == []
    assert ReportSubscription.objects.get(user=supervisor).last_sent_month is None


def test_in_the_agents_language(agent, history, on_commit):
    UserProfile.objects.update_or_create(user=agent, defaults={"preferred_language": "fr"})
    subscribe(agent)
    tick(on_commit)
    [sent] = summaries()
    assert OutboundMail.objects.get(event="monthly_summary").language == "fr"
    # The months and the signature in French (the rest follows once the catalogue has the new strings).
    assert "février 2026" in sent.subject
    assert "janvier 2026" in sent.body
    assert "L'équipe support" in sent.body
    assert "February" not in sent.body


# The opt-in --------------------------------------------------------------------------------------------------


PREFIX = "wagtail_support_monthly_summary"


def test_an_agent_opts_in_and_out_on_the_account_page(agent):
    client = Client()
    client.force_login(agent)
    url = reverse("wagtailadmin_account")
    page = client.get(url)
    assert page.status_code == 200
    assert "Support: monthly summary by email" in page.content.decode()
    data = account_form_data(page)
    assert f"{PREFIX}-monthly_summary" not in data  # off until asked for
    data[f"{PREFIX}-monthly_summary"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ReportSubscription.objects.get(user=agent).monthly_summary is True

    data = account_form_data(client.get(url))
    assert data[f"{PREFIX}-monthly_summary"] == "on"
    del data[f"{PREFIX}-monthly_summary"]
    assert client.post(url, data).status_code == 302
    assert ReportSubscription.objects.get(user=agent).monthly_summary is False


def test_an_editor_who_is_not_an_agent_is_not_offered_it(db):
    editor = factories.make_user("editor", groups=["Editors"])
    client = Client()
    client.force_login(editor)
    page = client.get(reverse("wagtailadmin_account"))
    assert page.status_code == 200
    assert "Support: monthly summary by email" not in page.content.decode()
    assert PREFIX not in page.content.decode()
