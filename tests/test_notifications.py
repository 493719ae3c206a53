"""Who is told what by mail.

Mail is sent after the workflow's transaction commits, so each test runs the workflow inside
``django_capture_on_commit_callbacks(execute=True)``; tasks run at once and mail lands in
``django.core.mail.outbox`` through Anymail's test backend.
"""

import re

import pytest
from django.core import mail
from django.db import transaction
from wagtail.users.models import UserProfile

from tests import factories
from wagtail_support import access, workflow
from wagtail_support.models import Message, OutboundMail, Ticket
from wagtail_support.notifications import delivery, outbox

pytestmark = pytest.mark.django_db

NOTE = "Internal: the customer is on the blocklist, do not tell them."
SOLUTION = "We reset your password; the new one is in your other mailbox."


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the notifications a block of workflow calls asks for, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def sent_to(address):
    return [m for m in mail.outbox if address in m.to]


def all_recipients():
    return sorted(address for m in mail.outbox for address in m.to)


def everything_in(m):
    return "\n".join([m.subject, m.body, *(content for content, _type in getattr(m, "alternatives", []))])


@pytest.fixture(autouse=True)
def _one_recipient_per_mail_through_anymail():
    """After each test: every mail went through Anymail and was addressed to one person only."""
    yield
    for m in mail.outbox:
        assert hasattr(m, "anymail_test_params"), "mail did not go through Anymail"
        assert len(m.to) == 1 and not m.cc and not m.bcc, f"mail shows several recipients: {m.to}"


# Opening a ticket ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["account", "anonymous"])
def test_opening_a_ticket_mails_the_requester_a_confirmation(requester, category, on_commit, who):
    with on_commit():
        if who == "account":
            ticket = factories.open_ticket(requester, category=category)
        else:
            ticket = factories.open_ticket(
                requester_name="Rita Requester", requester_email="requester@example.com", category=category
            )

    confirmations = sent_to("requester@example.com")
    assert len(confirmations) == 1, "the requester got no confirmation"
    (confirmation,) = confirmations
    assert ticket.reference in confirmation.subject
    assert ticket.subject in confirmation.subject
    assert ticket.reference in confirmation.body
    assert "The login page says my password is wrong." in confirmation.body


def test_opening_on_behalf_mails_the_requester_a_confirmation(agent, requester, category, on_commit):
    with on_commit():
        ticket = factories.open_ticket(requester, by=agent, category=category, channel=Ticket.Channel.PHONE)

    (confirmation,) = sent_to(requester.email)
    assert ticket.reference in confirmation.subject
    assert "We received your request" in confirmation.subject
    assert ticket.reference in confirmation.body


def test_opening_a_ticket_mails_the_team(requester, category, team, agent, colleague, outsider_agent, on_commit):
    team.contact_email = "helpdesk@example.com"
    team.save()

    with on_commit():
        ticket = factories.open_ticket(requester, category=category)

    for address in (agent.email, colleague.email, "helpdesk@example.com"):
        (new,) = sent_to(address)
        assert new.subject == f"[{ticket.reference}] New ticket: Cannot log in"
        assert "The login page says my password is wrong." in new.body
        assert "requester@example.com" in new.body
    assert sent_to(outsider_agent.email) == []


def test_inactive_team_member_is_not_mailed(requester, category, agent, colleague, on_commit):
    colleague.is_active = False
    colleague.save()

    with on_commit():
        factories.open_ticket(requester, category=category)

    assert len(sent_to(agent.email)) == 1
    assert sent_to(colleague.email) == []


def test_no_mail_before_commit(requester, category, agent, on_commit):
    with on_commit():
        try:
            with transaction.atomic():
                factories.open_ticket(requester, category=category)
                raise RuntimeError("the request failed after the ticket was created")
        except RuntimeError:
            pass

    assert not Ticket.objects.exists()
    assert mail.outbox == []


# Internal notes --------------------------------------------------------------------------------------------


def test_internal_note_never_reaches_requester_or_beneficiary(
    shared_ticket, agent, colleague, requester, other_requester, resolution_code, on_commit
):
    outsiders = {requester.email, other_requester.email}
    with on_commit():
        workflow.assign_to_self(shared_ticket, by=agent)
        note = workflow.reply(shared_ticket, by=agent, body=NOTE, internal=True)
    assert not [m for m in mail.outbox if outsiders & set(m.to)], "a note sent mail to the requester side"

    # The rest of the conversation does not quote it either.
    with on_commit():
        workflow.reply(shared_ticket, by=colleague, body="Another internal thought.", internal=True)
        workflow.reply(shared_ticket, by=agent, body="Could you try again?", set_pending=True)
        workflow.reply(shared_ticket, by=requester, body="Still failing.")
        workflow.resolve(shared_ticket, code=resolution_code, solution=SOLUTION, by=agent)
        workflow.reopen(shared_ticket, by=agent)
        workflow.abandon(shared_ticket, by=agent)

    assert sent_to(requester.email) and sent_to(other_requester.email)
    for m in mail.outbox:
        if outsiders & set(m.to):
            assert NOTE not in everything_in(m)
            assert "Another internal thought." not in everything_in(m)
    assert Message.objects.get(pk=note.pk).is_internal


def test_internal_note_is_refused_to_the_requester_even_when_asked_for(shared_ticket, agent, requester, on_commit):
    with on_commit():
        note = workflow.reply(shared_ticket, by=agent, body=NOTE, internal=True)

    # Whatever event a caller passes with an internal message, the requester side is not a recipient...
    recipients = outbox.ticket_event("agent_reply", shared_ticket.pk, message_id=note.pk)
    assert recipients == []
    # ...and the sending task refuses it as the last guard.
    forged = outbox.record_mail(
        event="agent_reply", audience="requester", recipient=requester.email, ticket=shared_ticket, message=note
    )
    assert delivery.deliver(forged.pk) == 0
    forged.refresh_from_db()
    assert forged.status == OutboundMail.Status.FAILED
    assert "internal message" in forged.error
    assert mail.outbox == []


# Public replies --------------------------------------------------------------------------------------------


def test_agent_reply_is_mailed_to_requester_and_beneficiary(
    shared_ticket, agent, colleague, requester, other_requester, on_commit
):
    with on_commit():
        workflow.reply(shared_ticket, by=agent, body="Please clear your cookies and try again.")

    assert all_recipients() == sorted([requester.email, other_requester.email])
    for m in mail.outbox:
        assert m.subject == f"[{shared_ticket.reference}] New reply: Cannot log in"
        assert "Please clear your cookies and try again." in m.body
        assert "Alice Agent" in m.body
    assert sent_to(agent.email) == []
    assert sent_to(colleague.email) == []


def test_agent_reply_waiting_on_the_requester_says_so(ticket, agent, requester, on_commit):
    with on_commit():
        workflow.reply(ticket, by=agent, body="Which browser do you use?", set_pending=True)

    (m,) = sent_to(requester.email)
    assert "Which browser do you use?" in m.body
    assert "waiting for your answer" in m.body
    assert len(mail.outbox) == 1, "one mail, not a reply mail and a pending mail"


def test_set_pending_without_reply_tells_the_requester(ticket, agent, requester, on_commit):
    with on_commit():
        workflow.set_pending(ticket, by=agent)

    (m,) = sent_to(requester.email)
    assert ticket.reference in m.subject
    assert "waiting" in m.subject.lower()


def test_requester_reply_mails_the_assignee_only(ticket, agent, colleague, requester, on_commit):
    workflow.assign(ticket, to=colleague, by=agent)

    with on_commit():
        workflow.reply(ticket, by=requester, body="I use Firefox 140 on Linux.")

    (m,) = mail.outbox
    assert m.to == [colleague.email]
    assert m.subject == f"[{ticket.reference}] The requester answered: Cannot log in"
    assert "I use Firefox 140 on Linux." in m.body
    assert "Rita Requester" in m.body


def test_requester_reply_on_an_unassigned_ticket_mails_the_team(ticket, agent, colleague, requester, on_commit):
    with on_commit():
        workflow.reply(ticket, by=requester, body="Any news?")

    assert all_recipients() == sorted([agent.email, colleague.email])
    assert sent_to(requester.email) == []


def test_assigning_mails_the_new_assignee(ticket, agent, colleague, on_commit):
    with on_commit():
        workflow.assign(ticket, to=colleague, by=agent)

    (m,) = mail.outbox
    assert m.to == [colleague.email]
    assert m.subject == f"[{ticket.reference}] Assigned to you: Cannot log in"


# Closing ---------------------------------------------------------------------------------------------------


def test_resolve_mails_the_solution_and_the_resolution_code(shared_ticket, agent, requester, other_requester, resolution_code, on_commit):
    with on_commit():
        workflow.resolve(shared_ticket, code=resolution_code, solution=SOLUTION, by=agent)

    assert all_recipients() == sorted([requester.email, other_requester.email])
    (m,) = sent_to(requester.email)
    assert m.subject == f"[{shared_ticket.reference}] Resolved: Cannot log in"
    assert SOLUTION in m.body
    assert re.search(r"^Resolution[^\n]*: Fixed$", m.body, re.M), "the resolution code label is in the mail"


def test_abandon_tells_the_requester(ticket, agent, requester, on_commit):
    with on_commit():
        workflow.abandon(ticket, by=agent)

    (m,) = sent_to(requester.email)
    assert m.subject == f"[{ticket.reference}] Closed with no follow-up: Cannot log in"
    assert "no follow-up" in m.body


def test_agent_reopen_tells_the_requester(ticket, agent, requester, resolution_code, on_commit):
    workflow.resolve(ticket, code=resolution_code, solution=SOLUTION, by=agent)

    with on_commit():
        workflow.reopen(ticket, by=agent)

    (m,) = sent_to(requester.email)
    assert m.subject == f"[{ticket.reference}] Reopened: Cannot log in"


def test_beneficiary_is_not_greeted_with_the_requester_name(shared_ticket, agent, other_requester, resolution_code, on_commit):
    with on_commit():
        workflow.resolve(shared_ticket, code=resolution_code, solution=SOLUTION, by=agent)

    (m,) = sent_to(other_requester.email)
    assert SOLUTION in m.body
    assert not m.body.startswith("Hello Rita Requester"), m.body.splitlines()[0]


# The actor is never mailed about their own action ----------------------------------------------------------


def test_agent_is_not_mailed_about_their_reply_on_their_own_ticket(agent, colleague, category, on_commit):
    with on_commit():
        ticket = factories.open_ticket(agent, category=category, subject="My laptop is slow")
        workflow.reply(ticket, by=agent, body="Answering myself: rebooted, fine now.")

    # Only the confirmation with the reference: not the team's "new ticket" mail, not their own reply.
    assert [m.subject for m in sent_to(agent.email)] == [
        f"[{ticket.reference}] We received your request: My laptop is slow"
    ]
    assert [m.subject for m in sent_to(colleague.email)] == [f"[{ticket.reference}] New ticket: My laptop is slow"]


def test_agent_opening_on_behalf_is_not_mailed_as_team_member(agent, colleague, requester, category, on_commit):
    with on_commit():
        factories.open_ticket(requester, by=agent, category=category)

    assert sent_to(agent.email) == []
    assert len(sent_to(colleague.email)) == 1


def test_self_assignment_is_not_mailed(ticket, agent, on_commit):
    with on_commit():
        workflow.assign_to_self(ticket, by=agent)

    assert mail.outbox == []
    assert Ticket.objects.get(pk=ticket.pk).assignee == agent


def test_requester_reopening_by_reply_mails_the_beneficiary_not_themselves(
    shared_ticket, agent, requester, other_requester, resolution_code, on_commit
):
    workflow.assign_to_self(shared_ticket, by=agent)
    workflow.resolve(shared_ticket, code=resolution_code, solution=SOLUTION, by=agent)

    with on_commit():
        workflow.reply(shared_ticket, by=requester, body="It is broken again.")

    assert Ticket.objects.get(pk=shared_ticket.pk).status == Ticket.Status.OPEN
    assert sent_to(requester.email) == []
    assert [m.subject for m in sent_to(other_requester.email)] == [
        f"[{shared_ticket.reference}] Reopened: Cannot log in"
    ]
    (m,) = sent_to(agent.email)
    assert "It is broken again." in m.body


def test_anonymous_requester_reopening_through_a_link_is_not_mailed_about_it(anon_ticket, agent, resolution_code, on_commit):
    workflow.resolve(anon_ticket, code=resolution_code, solution=SOLUTION, by=agent)
    link = workflow.Actor(link_token=access.make_link_token(anon_ticket))

    with on_commit():
        workflow.reply(anon_ticket, by=link, body="The invoice is still missing.")

    assert Ticket.objects.get(pk=anon_ticket.pk).status == Ticket.Status.OPEN
    assert len(sent_to(agent.email)) == 1
    assert sent_to("ann@example.com") == []


def test_team_is_told_who_answered_through_a_link(anon_ticket, agent, on_commit):
    link = workflow.Actor(link_token=access.make_link_token(anon_ticket))

    with on_commit():
        workflow.reply(anon_ticket, by=link, body="Here is my customer number: 4711.")

    (m,) = sent_to(agent.email)
    assert "4711" in m.body
    assert "(unknown)" not in m.body
    assert "Ann Onymous" in m.body or "ann@example.com" in m.body


def test_requester_closing_is_not_mailed_to_them(ticket, requester, on_commit):
    with on_commit():
        workflow.close_by_requester(ticket, by=requester)

    assert sent_to(requester.email) == []


# Language --------------------------------------------------------------------------------------------------


def test_mail_to_a_french_speaking_requester_is_rendered_in_french(ticket, agent, requester, on_commit):
    profile = UserProfile.get_for_user(requester)
    profile.preferred_language = "fr"
    profile.save()

    with on_commit():
        workflow.reply(ticket, by=agent, body="Bonjour, pouvez-vous réessayer ?")

    subject = mail.outbox[-1].subject
    assert mail.outbox[-1].to == [requester.email]
    assert ticket.reference in subject
    assert subject == f"[{ticket.reference}] Nouvelle réponse : {ticket.subject}"
    assert "Bonjour" in mail.outbox[-1].body and "Votre numéro de ticket" in mail.outbox[-1].body


# A failing ESP ---------------------------------------------------------------------------------------------


def test_failing_esp_never_loses_a_new_ticket(requester, category, agent, esp_down, on_commit):
    with on_commit():
        ticket = factories.open_ticket(requester, category=category, subject="Sent while the ESP is down")

    assert sorted(m.to[0] for m in esp_down) == [agent.email, requester.email], "the mails were tried and failed"
    saved = Ticket.objects.get(pk=ticket.pk)
    assert saved.subject == "Sent while the ESP is down"
    assert saved.status == Ticket.Status.OPEN
    assert saved.messages.get().body == "The login page says my password is wrong."


def test_failing_esp_never_loses_a_reply(ticket, agent, requester, esp_down, on_commit):
    with on_commit():
        message = workflow.reply(ticket, by=agent, body="Answer sent while the ESP is down.", set_pending=True)

    assert [m.to for m in esp_down] == [[requester.email]]
    assert Message.objects.get(pk=message.pk).body == "Answer sent while the ESP is down."
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.PENDING


def test_agent_mails_link_to_the_ticket_workspace(ticket, agent, supervisor, on_commit):
    from django.urls import reverse

    with on_commit():
        workflow.assign(ticket, to=agent, by=supervisor)

    to_agent = [m for m in mail.outbox if m.to == [agent.email]]
    assert to_agent, "the new assignee is told"
    assert reverse("wagtail_support_admin:ticket", args=[ticket.pk]) in to_agent[-1].body
    assert "?t=" not in to_agent[-1].body  # no requester link in a mail to the team
