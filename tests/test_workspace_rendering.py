"""The workspace's timeline computed once in Python (``admin.workspace.dress_timeline``, ``sanitize.render_text``'s
kept renderings, ``{% support_icon %}``, the models' choice labels): the same markup as the template filters and
tags it replaced, in the agent's language and time zone."""

import datetime
import re
import zoneinfo

import pytest
from django.db import models
from django.template import Context, Template
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.formats import get_format
from wagtail.users.models import UserProfile

from wagtail_support import sanitize, workflow
from wagtail_support.models import Message, OutboundMail, Ticket

pytestmark = pytest.mark.django_db


def workspace_url(ticket):
    return reverse("wagtail_support_admin:ticket", args=[ticket.pk])


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


# sanitize.render_text keeps what it rendered ---------------------------------------------------------------


def test_a_text_rendered_again_is_the_same_html_and_comes_from_the_cache():
    text = "Kept rendering: see https://example.com/kept and write to kept@example.com"
    first = sanitize.render_text(text)
    hits = sanitize._render_kept.cache_info().hits

    again = sanitize.render_text(text)

    assert again == first == sanitize._render(text)
    assert sanitize._render_kept.cache_info().hits == hits + 1


def test_a_changed_text_is_rendered_anew():
    before = sanitize.render_text("Changed text: version one, https://one.example.com")
    after = sanitize.render_text("Changed text: version two, https://two.example.com")

    assert "two.example.com" in after and "one.example.com" not in after
    assert "one.example.com" in before


def test_a_long_text_is_rendered_each_time_and_not_kept():
    text = "Long text with https://long.example.com. " * (sanitize.RENDERED_TEXT_MAX_LENGTH // 20)
    size = sanitize._render_kept.cache_info().currsize

    html = sanitize.render_text(text)

    assert 'href="https://long.example.com"' in html
    assert sanitize._render_kept.cache_info().currsize == size


def test_kept_html_is_still_escaped():
    typed = "<script>alert(1)</script> https://example.com/?a=<b>"
    for _ in range(2):
        html = sanitize.render_text(typed)
        assert "<script" not in html and "<b>" not in html and "&lt;script&gt;" in html


# Choice labels ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr"])
def test_choice_labels_are_what_django_says(language):
    cases = [
        (Message(visibility=value), "visibility") for value in (*Message.Visibility.values, "unknown")
    ] + [
        (Message(author_role=value), "author_role") for value in (*Message.AuthorRole.values, "unknown")
    ] + [
        (Message(channel=value), "channel") for value in (*Ticket.Channel.values, "unknown")
    ] + [
        (OutboundMail(status=value), "status") for value in (*OutboundMail.Status.values, "unknown")
    ]
    with translation.override(language):
        for instance, name in cases:
            field = instance._meta.get_field(name)
            expected = models.Model._get_FIELD_display(instance, field)
            assert getattr(instance, f"get_{name}_display")() == expected, (name, getattr(instance, name))


def test_french_labels_are_translated():
    with translation.override("fr"):
        assert Message(visibility="internal").get_visibility_display() != "Internal note"


# {% support_icon %} ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arguments",
    ['name="lock"', 'name="mail" classname="wsw-icon"', 'name="warning" classname="x" title="Careful <now>"',
     'name="user" wrapped=True'],
)
def test_support_icon_has_the_markup_of_wagtails_icon(arguments):
    wagtail = Template("{% load wagtailadmin_tags %}{% icon " + arguments + " %}").render(Context())
    ours = Template(
        "{% load wagtail_support_tags %}{% support_icon " + arguments + " %}|{% support_icon " + arguments + " %}"
    ).render(Context())

    assert ours == f"{wagtail}|{wagtail}"


def test_support_icon_renders_each_icon_once_per_page():
    template = Template(
        '{% load wagtail_support_tags %}{% for n in "abc" %}{% support_icon name="lock" %}'
        '{% support_icon name="mail" %}{% endfor %}'
    )
    context = Context()
    html = template.render(context)

    assert html.count("#icon-lock") == 3 and html.count("#icon-mail") == 3
    # One page's icons are kept in its render context only: a new render starts afresh.
    assert not any(isinstance(d, dict) and ("lock", None, None, False) in d for d in Context().render_context.dicts)


# The timeline's dates, bodies, attachments and mails ------------------------------------------------------


@pytest.fixture
def tokyo_agent(agent):
    profile = UserProfile.get_for_user(agent)
    profile.current_time_zone = "Asia/Tokyo"
    profile.save()
    return agent


def test_dates_are_in_the_agents_time_zone_as_the_date_filter_writes_them(agent_client, tokyo_agent, ticket):
    message = workflow.reply(ticket, by=tokyo_agent, body="Dated reply: https://example.com/dated")
    mail = OutboundMail.objects.create(
        ticket=ticket, message=message, event="agent_reply", audience="requester", recipient="r@example.com",
        internet_message_id="<dated@example.com>", status=OutboundMail.Status.DELIVERED,
        updated_at=message.created_at + datetime.timedelta(hours=3, minutes=7),
    )

    page = agent_client.get(workspace_url(ticket)).content.decode()

    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    short = get_format("SHORT_DATETIME_FORMAT")
    for moment in (message.created_at, mail.updated_at):
        local = timezone.localtime(moment, tokyo)
        expected = f'datetime="{dateformat.format(local, "c")}">{dateformat.format(local, short)}</time>'
        assert expected in page
    assert '<a href="https://example.com/dated" rel="nofollow noopener noreferrer">' in page


def test_message_markup_is_the_one_of_the_template_filters(agent_client, agent, ticket):
    """The dressed message says what ``message.html`` said with ``|support_text``, ``|date`` and
    ``message.attachments.all``/``message.mails.all``."""
    note = workflow.reply(ticket, by=agent, body="Two lines\nof a note\n\nhttps://example.com", internal=True)

    page = agent_client.get(workspace_url(ticket)).content.decode()

    item = page[page.index(f'id="message-{note.pk}"') :]
    item = item[: item.index("</li>")]
    body = re.search(r'<div class="wsw-message__body">(.*?)</div>', item, re.S).group(1)
    assert body == sanitize.render_text(note.body)
    reference = Template("{{ when|date:'c' }}|{{ when|date:'SHORT_DATETIME_FORMAT' }}").render(
        Context({"when": note.created_at})
    )
    iso, short = reference.split("|")
    assert f'<time class="wsw-message__date" datetime="{iso}">{short}</time>' in item


# {% mail_rows %} -------------------------------------------------------------------------------------------

# The loop of workspace/mail_status.html before its rows were written in Python: the reference markup.
TEMPLATE_ROWS = """{% load i18n wagtail_support_tags %}{% for mail in mails %}
            <li class="wsw-mail wsw-mail--{{ mail.status }}" id="mail-{{ mail.pk }}">
                {% support_icon name="mail" classname="wsw-icon" %}
                <span class="wsw-mail__recipient">{{ mail.recipient }}</span>
                <span class="wsw-mail__status" data-status="{{ mail.status }}">{{ mail.get_status_display }}</span>
                <time class="wsw-muted" datetime="{{ mail.updated_at|date:'c' }}">{{ mail.updated_at|date:"SHORT_DATETIME_FORMAT" }}</time>
                {% if mail.error %}<span class="wsw-mail__error">{{ mail.error|truncatechars:200 }}</span>{% endif %}
                <details class="wsw-mail__details">
                    <summary>{% trans "Details" %}</summary>
                    <dl>
                        <dt>{% trans "Event" %}</dt><dd>{{ mail.event_label }}</dd>
                        <dt>{% trans "Message-ID" %}</dt><dd><code>{{ mail.internet_message_id }}</code></dd>
                        {% if mail.esp_message_id %}<dt>{% trans "ESP message ID" %}</dt><dd><code>{{ mail.esp_message_id }}</code> ({{ mail.esp_name }})</dd>{% endif %}
                        <dt>{% trans "Attempts" %}</dt><dd>{{ mail.attempts }}</dd>
                    </dl>
                </details>
                {% if mail.is_failed %}
                    <form method="post" action="{% url 'wagtail_support_admin:mail_resend' mail.pk %}" class="wsw-mail__resend">
                        {% csrf_token %}
                        <button type="submit" class="button button-small button-secondary">{% trans "Send again" %}</button>
                    </form>
                {% endif %}
            </li>
        {% endfor %}"""


@pytest.mark.parametrize("language", ["en", "fr"])
def test_mail_rows_are_the_markup_of_the_template_loop(ticket, language):
    from wagtail_support.admin.workspace import dress_mails

    common = {"ticket": ticket, "audience": "requester"}
    OutboundMail.objects.create(
        **common, event="agent_reply", recipient="ann@example.com", internet_message_id="<one@example.com>",
        status=OutboundMail.Status.DELIVERED, esp_name="postmark", esp_message_id="esp-<1>", attempts=1,
    )
    OutboundMail.objects.create(
        **common, event="agent_reply", recipient="bob@example.com", internet_message_id="<two@example.com>",
        status=OutboundMail.Status.FAILED, error="550 <mailbox> unavailable " + "x" * 300, attempts=3,
    )
    OutboundMail.objects.create(
        **common, recipient="o'hara@example.com", internet_message_id="<three@example.com>",
        status=OutboundMail.Status.BOUNCED, event="resolved",
    )
    with translation.override(language):  # the view dates the mails in the agent's language
        context = {"mails": dress_mails(OutboundMail.objects.filter(ticket=ticket).order_by("pk")), "csrf_token": "TOKEN"}
        expected = Template(TEMPLATE_ROWS).render(Context(context))
        ours = Template("{% load wagtail_support_delivery %}{% mail_rows mails %}").render(Context(context))

    assert ours == expected
    assert ours.count('class="wsw-mail__resend"') == 2  # failed and bounced
    assert 'value="TOKEN"' in ours and "&lt;mailbox&gt;" in ours and "esp-&lt;1&gt;" in ours


# The teams and resolution codes read without a server-side cursor ------------------------------------------


def test_listed_choices_are_djangos_choices(ticket, team, other_team, resolution_code):
    from django import forms

    from wagtail_support.admin.ticket_forms import SubmitForm

    form = SubmitForm(ticket=ticket, user=ticket.assignee or team.members.first())
    for name in ("team", "code"):
        field = form.fields[name]
        django_choices = list(forms.models.ModelChoiceIterator(field))
        assert list(field.choices) == django_choices and len(django_choices) > 1, name


def test_workspace_opens_no_server_side_cursor(agent_client, ticket):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get(workspace_url(ticket))

    assert response.status_code == 200
    # (SQLite has no server-side cursors: this only tells something on PostgreSQL.)
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DECLARE")]
