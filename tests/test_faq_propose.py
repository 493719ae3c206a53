""""Propose as FAQ" on a resolved ticket: a draft question without the requester's personal data, linked
back to the ticket, that goes through moderation before visitors see it."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from wagtail.models import Locale, Site, Workflow, WorkflowContentType

from tests import factories
from wagtail_support import workflow
from wagtail_support.faq import FAQEntry, FAQPage, FAQTopic, search_entries
from wagtail_support.faq_proposals import propose_from_ticket, scrub_personal_data, text_to_answer

pytestmark = pytest.mark.django_db

SOLUTION = (
    "Hello Rita Requester,\n"
    "I reset the password of requester@example.com and of Otto's account (other_requester@example.com).\n"
    "\n"
    "If it happens again, call us at +33 6 12 34 56 78 or write to someone.else@example.org; "
    "the <b>reset</b> page is in your profile since 2024-01-15."
)


def propose_url(ticket):
    return reverse("wagtail_support_admin:ticket_propose_faq", args=[ticket.pk])


@pytest.fixture
def resolved(shared_ticket, agent, resolution_code):
    ticket = shared_ticket
    ticket.subject = "Rita Requester cannot log in"
    ticket.save(update_fields=["subject"])
    workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)
    ticket.refresh_from_db()
    return ticket


def test_scrubbing_removes_names_addresses_and_phone_numbers():
    people = [({"Rita Requester"}, {"rita@example.com"}, "the requester"), ({"Otto Other"}, set(), "the beneficiary")]
    text = scrub_personal_data(
        "Rita Requester (RITA@example.com) and rita wrote for otto; ask bob@corp.example, 06 12 34 56 78, "
        "(555) 123-4567. Version 2.4.1 of 2024-01-15, ticket 1234.",
        people,
    )
    assert "Rita" not in text and "rita" not in text and "Otto" not in text and "otto" not in text
    assert "example.com" not in text and "bob@" not in text
    assert "06 12" not in text and "123-4567" not in text
    assert text.count("the requester") == 3 and "the beneficiary" in text
    assert "[email address]" in text and text.count("[phone number]") == 2
    # Not personal data: versions, dates, short numbers stay.
    assert "2.4.1" in text and "2024-01-15" in text and "ticket 1234" in text


def test_a_name_inside_another_word_stays():
    assert scrub_personal_data("Anna went to Annapolis", [({"Anna"}, set(), "X")]) == "X went to Annapolis"


def test_text_becomes_escaped_paragraphs():
    assert text_to_answer("One <b>\nline\n\n\nTwo & three") == "<p>One &lt;b&gt;<br/>line</p><p>Two &amp; three</p>"


def test_the_draft_has_no_personal_data(resolved, agent, requester, other_requester):
    entry, created = propose_from_ticket(resolved, agent)
    assert created
    text = entry.question + entry.answer
    for personal in ["Rita", "Requester ", "Otto", "requester@example.com", "other_requester", "someone.else", "12 34 56"]:
        assert personal not in text, personal
    assert entry.question == "the requester cannot log in"
    assert entry.answer.startswith("<p>Hello the requester,<br/>I reset the password of the requester")
    assert "&lt;b&gt;reset&lt;/b&gt;" in entry.answer
    assert not entry.live
    assert entry.source_ticket == resolved
    assert entry.locale == Locale.get_default()
    assert entry.topic.name == "General"
    assert entry.revisions.count() == 1
    assert entry.latest_revision.user == agent


def test_the_draft_goes_in_the_ticket_locale_and_its_first_topic(resolved, agent):
    fr = Locale.objects.create(language_code="fr")
    FAQTopic.objects.create(name="Account", slug="account")
    second = FAQTopic.objects.create(name="Facturation", slug="facturation", locale=fr, sort_order=2)
    first = FAQTopic.objects.create(name="Compte", slug="compte", locale=fr, sort_order=1)
    resolved.locale = fr
    resolved.save(update_fields=["locale"])
    entry, _created = propose_from_ticket(resolved, agent)
    assert entry.locale == fr
    assert entry.topic == first and entry.topic != second
    assert "le demandeur" in entry.question or "the requester" in entry.question


def test_propose_button_makes_a_draft_and_opens_it(client, resolved, supervisor):
    client.force_login(supervisor)
    workspace = client.get(reverse("wagtail_support_admin:ticket", args=[resolved.pk])).content.decode()
    assert propose_url(resolved) in workspace
    response = client.post(propose_url(resolved))
    entry = FAQEntry.objects.get(source_ticket=resolved)
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailsnippets_wagtail_support_faqentry:edit", args=[entry.pk])
    # The edit view links back to the ticket.
    html = client.get(response["Location"]).content.decode()
    assert reverse("wagtail_support_admin:ticket", args=[resolved.pk]) in html
    assert f"ticket #{resolved.number}" in html
    # A second click goes to the same question.
    response = client.post(propose_url(resolved))
    assert response["Location"] == reverse("wagtailsnippets_wagtail_support_faqentry:edit", args=[entry.pk])
    assert FAQEntry.objects.filter(source_ticket=resolved).count() == 1


def test_an_agent_of_the_team_without_faq_rights_goes_back_to_the_ticket(client, resolved, agent):
    client.force_login(agent)
    response = client.post(propose_url(resolved))
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtail_support_admin:ticket", args=[resolved.pk])
    assert FAQEntry.objects.filter(source_ticket=resolved).count() == 1


def test_an_agent_of_another_team_gets_404(client, resolved, outsider_agent):
    client.force_login(outsider_agent)
    assert client.post(propose_url(resolved)).status_code == 404
    assert client.post(reverse("wagtail_support_admin:ticket_propose_faq", args=[999999])).status_code == 404
    assert not FAQEntry.objects.exists()


def test_a_visitor_and_a_get_make_nothing(client, resolved, requester, supervisor):
    client.force_login(requester)
    assert client.post(propose_url(resolved)).status_code in (302, 403)
    client.force_login(supervisor)
    assert client.get(propose_url(resolved)).status_code == 405
    assert not FAQEntry.objects.exists()


def test_only_a_ticket_resolved_with_a_solution(client, ticket, agent, supervisor):
    client.force_login(supervisor)
    # Open: nothing, and no button.
    assert propose_url(ticket) not in client.get(reverse("wagtail_support_admin:ticket", args=[ticket.pk])).content.decode()
    client.post(propose_url(ticket))
    # Abandoned: nothing either.
    workflow.abandon(ticket, by=agent)
    ticket.refresh_from_db()
    assert propose_url(ticket) not in client.get(reverse("wagtail_support_admin:ticket", args=[ticket.pk])).content.decode()
    response = client.post(propose_url(ticket))
    assert response["Location"] == reverse("wagtail_support_admin:ticket", args=[ticket.pk])
    assert not FAQEntry.objects.exists()


def test_the_draft_stays_hidden_until_moderated_and_published(client, resolved, agent, supervisor):
    page = FAQPage(title="FAQ", slug="faq")
    Site.objects.get(is_default_site=True).root_page.add_child(instance=page)
    page.save_revision().publish()
    entry, _created = propose_from_ticket(resolved, agent)
    assert "cannot log in" not in client.get("/faq/").content.decode()
    assert search_entries("cannot log in") == []
    # Submitted to Wagtail's default moderation workflow, then approved by a supervisor-moderator.
    workflow_ = Workflow.objects.filter(active=True).first()
    WorkflowContentType.objects.create(workflow=workflow_, content_type=ContentType.objects.get_for_model(FAQEntry))
    state = workflow_.start(entry, supervisor)
    assert entry.current_workflow_state == state
    assert "cannot log in" not in client.get("/faq/").content.decode()
    superuser = factories.make_user("boss")
    superuser.is_superuser = True
    superuser.save()
    task_state = entry.current_workflow_task_state
    task_state.task.specific.on_action(task_state, superuser, "approve")
    entry.refresh_from_db()
    assert entry.live
    assert "the requester cannot log in" in client.get("/faq/").content.decode()


def test_a_supervisor_publishes_the_proposed_question(client, resolved, agent, supervisor):
    """The "Support supervisors" group holds the publish permission (migration 0022): the draft goes live
    through the snippet's own Publish button, and an agent without it cannot publish."""
    entry, _created = propose_from_ticket(resolved, agent)
    assert supervisor.has_perm("wagtail_support.publish_faqentry")
    assert not agent.has_perm("wagtail_support.publish_faqentry")
    client.force_login(supervisor)
    edit = reverse("wagtailsnippets_wagtail_support_faqentry:edit", args=[entry.pk])
    assert 'name="action-publish"' in client.get(edit).content.decode()
    data = {
        "topic": entry.topic_id,
        "question": entry.question,
        "answer": '{"blocks": [{"key": "a", "type": "unstyled", "text": "Reset it from the sign-in page.", "depth": 0, "inlineStyleRanges": [], "entityRanges": []}], "entityMap": {}}',
        "slug": entry.slug,
        "sort_order": 0,
        "action-publish": "action-publish",
    }
    response = client.post(edit, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry.refresh_from_db()
    assert entry.live and "Reset it from the sign-in page." in entry.answer
