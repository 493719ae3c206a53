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
