"""Attacks on the access rules (invariants 1 and 2 of docs/architecture.md).

Every test plays someone who should get nothing (another requester, an agent of another team, an
anonymous visitor, a disabled account, a forged or stale signed link) and checks that the querysets
(``visible_tickets``, ``worked_tickets``) and the single-ticket rules of ``wagtail_support.access`` give nothing;
and, as a control, that the people who should see a ticket do.
"""

import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories
from wagtail_support import access, workflow
from wagtail_support.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db

INTERNAL_BODY = "Internal: the customer's account is flagged for fraud review."
PUBLIC_BODY = "Could you try resetting your password from the login page?"


def _file(name="notes.txt", content=b"secret investigation notes"):
    return SimpleUploadedFile(name, content, content_type="text/plain")


def _note(ticket, agent, body=INTERNAL_BODY, attachments=()):
    return workflow.reply(ticket, by=agent, body=body, internal=True, attachments=attachments)


def _public_reply(ticket, agent, body=PUBLIC_BODY, attachments=()):
    return workflow.reply(ticket, by=agent, body=body, attachments=attachments)


@pytest.fixture
def no_default_team(settings):
    """Tickets opened without a category or team stay without a team (the example site routes them
    to ``helpdesk``, the slug of ``team``)."""
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = None


def _bodies(messages):
    return [m.body for m in messages]


def _refetch(user):
    """A fresh instance, as the next request would load it (no cached permissions)."""
    return type(user).objects.get(pk=user.pk)


# Requesters -----------------------------------------------------------------------------------------------


def test_requester_never_sees_another_requesters_ticket(ticket, requester, other_requester, category):
    others = factories.open_ticket(
        other_requester, subject="My invoice", description="Otto's private billing question.", category=category
    )
    workflow.reply(others, by=other_requester, body="Otto adds a file", attachments=[_file("otto.txt")])

    assert list(access.visible_tickets(requester)) == [ticket]
    assert list(access.requester_tickets(requester)) == [ticket]
    assert access.ticket_role(requester, others) is None
    assert not access.can_view_ticket(requester, others)
    assert not access.can_act_as_requester(requester, others)
    assert list(access.messages_for(requester, others)) == []
    assert not access.visible_messages(requester).filter(ticket=others).exists()
    assert "Otto's private billing question." not in _bodies(access.visible_messages(requester))
    assert not access.visible_attachments(requester).exists()
    attachment = Attachment.objects.get(filename="otto.txt")
    assert not access.can_download_attachment(requester, attachment)

    # And the other way round.
    assert list(access.visible_tickets(other_requester)) == [others]
    assert not access.can_view_ticket(other_requester, ticket)


def test_requester_cannot_work_their_own_ticket(ticket, requester):
    assert access.ticket_role(requester, ticket) == access.Role.REQUESTER
    assert not access.can_work_ticket(requester, ticket)
    assert not access.can_see_internal(requester, ticket)
    assert not access.worked_tickets(requester).exists()


def test_requester_never_sees_an_internal_note(ticket, requester, agent):
    note = _note(ticket, agent, attachments=[_file("fraud-report.txt")])
    reply = _public_reply(ticket, agent)
    requester = _refetch(requester)

    visible = access.visible_messages(requester)
    assert note not in visible
    assert INTERNAL_BODY not in _bodies(visible)
    assert _bodies(visible) == [ticket.description, PUBLIC_BODY]
    assert visible.count() == 2

    for_requester = access.messages_for(requester, ticket)
    assert list(for_requester) == [ticket.messages.earliest("created_at"), reply]
    assert INTERNAL_BODY not in _bodies(for_requester)

    assert not access.visible_attachments(requester).exists()
    assert not access.can_download_attachment(requester, note.attachments.get())

    # The team still has it: the note exists, it is only hidden.
    assert INTERNAL_BODY in _bodies(access.messages_for(agent, ticket))


def test_requester_reply_does_not_unhide_notes(ticket, requester, agent):
    _note(ticket, agent)
    workflow.reply(ticket, by=agent, body="Waiting on you", set_pending=True)
    workflow.reply(ticket, by=requester, body="Here is more detail")
    assert INTERNAL_BODY not in _bodies(access.messages_for(requester, ticket))
    assert INTERNAL_BODY not in _bodies(access.visible_messages(requester))


def test_beneficiary_account_sees_the_ticket_but_not_internal_notes(requester, category, agent):
    beneficiary = factories.make_user("bene", first_name="Bea", last_name="Neficiary")
    ticket = factories.open_ticket(requester, beneficiary=beneficiary, category=category)
    note = _note(ticket, agent, attachments=[_file("internal.txt")])
    _public_reply(ticket, agent, attachments=[_file("public.txt")])

    assert list(access.visible_tickets(beneficiary)) == [ticket]
    assert access.ticket_role(beneficiary, ticket) == access.Role.BENEFICIARY
    assert access.can_view_ticket(beneficiary, ticket)
    assert not access.can_work_ticket(beneficiary, ticket)
    assert not access.worked_tickets(beneficiary).exists()

    assert note not in access.visible_messages(beneficiary)
    assert INTERNAL_BODY not in _bodies(access.messages_for(beneficiary, ticket))
    assert _bodies(access.messages_for(beneficiary, ticket)) == [ticket.description, PUBLIC_BODY]
    assert [a.filename for a in access.visible_attachments(beneficiary)] == ["public.txt"]
    assert not access.can_download_attachment(beneficiary, note.attachments.get())


# Agents ---------------------------------------------------------------------------------------------------


def test_agent_of_another_team_sees_nothing_of_this_team(ticket, anon_ticket, agent, outsider_agent):
    note = _note(ticket, agent, attachments=[_file("fraud.txt")])
    _public_reply(anon_ticket, agent, attachments=[_file("public.txt")])

    assert not access.visible_tickets(outsider_agent).exists()
    assert not access.worked_tickets(outsider_agent).exists()
    assert not access.visible_messages(outsider_agent).exists()
    assert not access.visible_attachments(outsider_agent).exists()
    for t in (ticket, anon_ticket):
        assert access.ticket_role(outsider_agent, t) is None
        assert not access.can_view_ticket(outsider_agent, t)
        assert not access.can_work_ticket(outsider_agent, t)
        assert list(access.messages_for(outsider_agent, t)) == []
    assert not access.can_download_attachment(outsider_agent, note.attachments.get())
    with pytest.raises(workflow.NotAllowed):
        workflow.reply(ticket, by=outsider_agent, body="Peeking", internal=True)
    assert not Message.objects.filter(body="Peeking").exists()


def test_agent_of_the_team_sees_its_tickets_and_every_message(ticket, anon_ticket, agent, outsider_agent):
    note = _note(ticket, agent)
    assert set(access.visible_tickets(agent)) == {ticket, anon_ticket}
    assert set(access.worked_tickets(agent)) == {ticket, anon_ticket}
    assert access.ticket_role(agent, ticket) == access.Role.AGENT
    assert access.can_work_ticket(agent, ticket)
    assert note in access.messages_for(agent, ticket)
    assert note in access.visible_messages(agent)
    # A ticket of the other team stays out of sight.
    theirs = factories.open_ticket(
        requester_email="bill@example.org", requester_name="Bill", team=outsider_agent.support_teams.get()
    )
    assert theirs not in access.visible_tickets(agent)
    assert access.ticket_role(agent, theirs) is None


def test_agent_sees_a_ticket_assigned_to_them_outside_their_team(outsider_agent, supervisor, team, no_default_team):
    teamless = factories.open_ticket(requester_email="walkin@example.org", requester_name="Walk In")
    assert teamless.team is None
    assert teamless not in access.visible_tickets(outsider_agent)

    workflow.assign(teamless, to=outsider_agent, by=supervisor)
    note = _note(teamless, supervisor)

    assert list(access.visible_tickets(outsider_agent)) == [teamless]
    assert list(access.worked_tickets(outsider_agent)) == [teamless]
    assert access.ticket_role(outsider_agent, teamless) == access.Role.AGENT
    assert access.can_work_ticket(outsider_agent, teamless)
    assert note in access.messages_for(outsider_agent, teamless)
    assert note in access.visible_messages(outsider_agent)


def test_agent_removed_from_the_team_keeps_only_their_assigned_tickets(ticket, anon_ticket, agent, team):
    workflow.assign(ticket, to=agent, by=agent)
    note = _note(anon_ticket, agent)
    team.members.remove(agent)
    agent = _refetch(agent)

    assert list(access.visible_tickets(agent)) == [ticket]
    assert access.ticket_role(agent, anon_ticket) is None
    assert note not in access.visible_messages(agent)
    assert list(access.messages_for(agent, anon_ticket)) == []


def test_agent_who_loses_the_agent_group_loses_the_team_tickets(ticket, agent):
    _note(ticket, agent)
    agent.groups.clear()
    agent = _refetch(agent)
    assert not access.visible_tickets(agent).exists()
    assert not access.visible_messages(agent).exists()
    assert not access.can_view_ticket(agent, ticket)


def test_team_member_without_the_agent_permission_sees_nothing(ticket, team, agent):
    _note(ticket, agent)
    member = factories.make_user("plain_member", teams=[team])
    assert not access.visible_tickets(member).exists()
    assert not access.worked_tickets(member).exists()
    assert not access.visible_messages(member).exists()
    assert access.ticket_role(member, ticket) is None


def test_agent_who_is_requester_of_another_teams_ticket_sees_only_public_messages(
    outsider_agent, agent, category
):
    # Oscar works for Billing but asks the Helpdesk team for help himself.
    own = factories.open_ticket(outsider_agent, subject="My laptop", description="It will not boot.", category=category)
    note = _note(own, agent, body="Internal: Oscar's laptop is out of warranty, don't tell him yet.",
                 attachments=[_file("warranty.txt")])
    _public_reply(own, agent, attachments=[_file("howto.txt")])

    assert list(access.visible_tickets(outsider_agent)) == [own]
    assert not access.worked_tickets(outsider_agent).exists()
    assert access.ticket_role(outsider_agent, own) == access.Role.REQUESTER
    assert not access.can_work_ticket(outsider_agent, own)
    assert not access.can_see_internal(outsider_agent, own)
    assert note not in access.visible_messages(outsider_agent)
    assert _bodies(access.messages_for(outsider_agent, own)) == ["It will not boot.", PUBLIC_BODY]
    assert [a.filename for a in access.visible_attachments(outsider_agent)] == ["howto.txt"]
    assert not access.can_download_attachment(outsider_agent, note.attachments.get())
    with pytest.raises(workflow.NotAllowed):
        workflow.reply(own, by=outsider_agent, body="sneaky note", internal=True)


def test_supervisor_sees_every_ticket_and_every_message(
    ticket, anon_ticket, supervisor, agent, outsider_agent, no_default_team
):
    theirs = factories.open_ticket(requester_email="bill@example.org", team=outsider_agent.support_teams.get())
    teamless = factories.open_ticket(requester_email="walkin@example.org")
    assert teamless.team is None
    notes = [_note(t, supervisor, attachments=[_file()]) for t in (ticket, anon_ticket, theirs, teamless)]

    everything = {ticket, anon_ticket, theirs, teamless}
    assert set(access.visible_tickets(supervisor)) == everything
    assert set(access.worked_tickets(supervisor)) == everything
    assert access.visible_tickets(supervisor).count() == Ticket.objects.count()
    assert access.visible_messages(supervisor).count() == Message.objects.count()
    assert access.visible_attachments(supervisor).count() == 4
    for t, note in zip((ticket, anon_ticket, theirs, teamless), notes, strict=True):
        assert access.ticket_role(supervisor, t) == access.Role.SUPERVISOR
        assert access.can_work_ticket(supervisor, t)
        assert note in access.messages_for(supervisor, t)


def test_superuser_sees_every_ticket(ticket, anon_ticket, agent):
    root = factories.make_user("root")
    root.is_superuser = True
    root.save()
    note = _note(ticket, agent)
    assert set(access.visible_tickets(root)) == {ticket, anon_ticket}
    assert note in access.visible_messages(root)
    assert access.ticket_role(root, ticket) == access.Role.SUPERVISOR


@pytest.mark.parametrize("nobody", [None, AnonymousUser()], ids=["none", "anonymous"])
def test_anonymous_visitor_sees_nothing(nobody, ticket, anon_ticket, agent):
    _public_reply(ticket, agent, attachments=[_file("public.txt")])
    assert not access.visible_tickets(nobody).exists()
    assert not access.worked_tickets(nobody).exists()
    assert not access.requester_tickets(nobody).exists()
    assert not access.visible_messages(nobody).exists()
    assert not access.visible_attachments(nobody).exists()
    for t in (ticket, anon_ticket):
        assert access.ticket_role(nobody, t) is None
        assert not access.can_view_ticket(nobody, t)
        assert not access.can_work_ticket(nobody, t)
        assert list(access.messages_for(nobody, t)) == []
    assert not access.can_download_attachment(nobody, Attachment.objects.get())


@pytest.mark.parametrize("who", ["requester", "agent", "supervisor", "superuser"])
def test_inactive_account_sees_nothing(who, request, ticket, anon_ticket, agent):
    _note(ticket, agent, attachments=[_file()])
    if who == "superuser":
        user = factories.make_user("root")
        user.is_superuser = True
    else:
        user = request.getfixturevalue(who)
    user.is_active = False
    user.save()
    user = _refetch(user)

    assert not access.visible_tickets(user).exists()
    assert not access.worked_tickets(user).exists()
    assert not access.requester_tickets(user).exists()
    assert not access.visible_messages(user).exists()
    assert not access.visible_attachments(user).exists()
    for t in (ticket, anon_ticket):
        assert access.ticket_role(user, t) is None
        assert list(access.messages_for(user, t)) == []
    with pytest.raises(workflow.NotAllowed):
        workflow.reply(ticket, by=user, body="I am disabled but try anyway")


def test_counts_never_hold_duplicates_for_an_agent_of_several_teams(
    team, other_team, agent, category, requester, no_default_team
):
    other_team.members.add(agent)
    for name in ("colleague1", "colleague2", "colleague3"):
        factories.make_agent(name, team, other_team)
    agent = _refetch(agent)

    mine = factories.open_ticket(requester, category=category)
    workflow.assign(mine, to=agent, by=agent)  # in my team AND assigned to me
    billing = factories.open_ticket(requester_email="b@example.org", team=other_team)
    workflow.assign(billing, to=agent, by=agent)
    # Agent is requester, beneficiary, assignee and team member of the same ticket.
    everything = factories.open_ticket(agent, beneficiary=agent, category=category)
    workflow.assign(everything, to=agent, by=agent)
    unassigned = factories.open_ticket(requester_email="c@example.org", team=other_team)
    for t in (mine, billing, everything, unassigned):
        _note(t, agent, attachments=[_file("a.txt"), _file("b.txt")])
        _public_reply(t, agent)
    outside = factories.open_ticket(requester_email="d@example.org")  # no team, not assigned
    assert outside.team is None

    expected = {mine, billing, everything, unassigned}
    visible = access.visible_tickets(agent)
    assert visible.count() == len(list(visible)) == len(expected)
    assert set(visible) == expected
    assert outside not in visible
    worked = access.worked_tickets(agent)
    assert worked.count() == len(list(worked)) == len(expected)

    messages = access.visible_messages(agent)
    assert messages.count() == len(set(messages.values_list("pk", flat=True))) == 3 * len(expected)
    attachments = access.visible_attachments(agent)
    assert attachments.count() == len(set(attachments.values_list("pk", flat=True))) == 2 * len(expected)
    # The same holds for a requester who is also the beneficiary of their own ticket.
    both = factories.open_ticket(requester, beneficiary=requester, category=category)
    assert access.visible_tickets(requester).count() == 2
    assert set(access.visible_tickets(requester)) == {mine, both}


# Signed links ---------------------------------------------------------------------------------------------


def test_valid_link_opens_its_own_ticket_with_public_messages_only(anon_ticket, agent):
    note = _note(anon_ticket, agent, attachments=[_file("internal.txt")])
    reply = _public_reply(anon_ticket, agent, attachments=[_file("public.txt")])
    token = access.make_link_token(anon_ticket)
    visitor = AnonymousUser()

    assert access.read_link_token(token) == (anon_ticket.pk, "ann@example.com")
    assert access.ticket_role(visitor, anon_ticket, token) == access.Role.LINK
    assert access.can_view_ticket(visitor, anon_ticket, token)
    assert access.can_act_as_requester(visitor, anon_ticket, token)
    assert not access.can_work_ticket(visitor, anon_ticket)

    shown = list(access.messages_for(visitor, anon_ticket, token))
    assert note not in shown
    assert shown == [anon_ticket.messages.earliest("created_at"), reply]
    assert not access.can_download_attachment(visitor, note.attachments.get(), token)
    assert access.can_download_attachment(visitor, reply.attachments.get(), token)


def test_link_holder_cannot_write_an_internal_note(anon_ticket):
    token = access.make_link_token(anon_ticket)
    with pytest.raises(workflow.NotAllowed):
        workflow.reply(anon_ticket, by=workflow.Actor(link_token=token), body="fake note", internal=True)
    assert not anon_ticket.messages.filter(body="fake note").exists()


def test_link_for_one_ticket_does_not_open_another(anon_ticket, ticket, category):
    # Same requester address on both tickets: the token still names one ticket only.
    second = factories.open_ticket(requester_name="Ann Onymous", requester_email="ann@example.com", category=category)
    token = access.make_link_token(anon_ticket)
    for other in (ticket, second):
        assert access.ticket_role(AnonymousUser(), other, token) is None
        assert not access.can_view_ticket(AnonymousUser(), other, token)
        assert list(access.messages_for(AnonymousUser(), other, token)) == []
        assert not access.can_act_as_requester(AnonymousUser(), other, token)


def test_link_for_another_ticket_adds_nothing_to_a_logged_in_outsider(anon_ticket, ticket, other_requester):
    token = access.make_link_token(ticket)
    assert access.ticket_role(other_requester, anon_ticket, token) is None


def _tampered(token):
    payload, sep, signature = token.rpartition(":")
    flipped = "A" if signature[-1] != "A" else "B"
    return [
        payload + sep + signature[:-1] + flipped,  # signature changed
        ("x" if payload[0] != "x" else "y") + payload[1:] + sep + signature,  # payload changed
        token[:-3],  # truncated
        token + "x",
        token.split(":")[0],  # payload only
        "",
        "garbage",
        "::",
        ".eJyrVirJLUpVslIqS8wpTVWqBQAvdwVC:1:2",
    ]


def test_tampered_links_open_nothing(anon_ticket):
    token = access.make_link_token(anon_ticket)
    for bad in _tampered(token):
        assert access.read_link_token(bad) is None, bad
        assert access.ticket_role(AnonymousUser(), anon_ticket, bad) is None, bad
        assert list(access.messages_for(AnonymousUser(), anon_ticket, bad)) == [], bad


def test_link_whose_payload_names_another_ticket_is_rejected(anon_ticket, ticket):
    # Take ticket A's signature, put ticket B's number in the payload.
    token = access.make_link_token(anon_ticket)
    forged_payload = signing.b64_encode(signing.JSONSerializer().dumps({"t": ticket.pk, "e": "ann@example.com"}))
    forged = forged_payload.decode() + ":" + token.split(":", 1)[1]
    assert access.read_link_token(forged) is None
    assert access.ticket_role(AnonymousUser(), ticket, forged) is None


def test_link_signed_with_another_salt_or_key_opens_nothing(anon_ticket):
    data = {"t": anon_ticket.pk, "e": "ann@example.com"}
    for forged in (
        signing.dumps(data, compress=True),  # Django's default salt
        signing.dumps(data, salt="django.contrib.sessions.SessionStore", compress=True),
        signing.dumps(data, salt=access.LINK_SALT + "x", compress=True),
        signing.dumps(data, salt=access.LINK_SALT, key="another-site-secret", compress=True),
        signing.Signer(salt=access.LINK_SALT).sign_object(data),  # no timestamp
    ):
        assert access.read_link_token(forged) is None
        assert access.ticket_role(AnonymousUser(), anon_ticket, forged) is None


def test_link_with_a_badly_typed_ticket_id_is_rejected(anon_ticket):
    for payload in ({"t": str(anon_ticket.pk), "e": "ann@example.com"}, [anon_ticket.pk, "ann@example.com"], "x"):
        token = signing.dumps(payload, salt=access.LINK_SALT, compress=True)
        assert access.read_link_token(token) is None
        assert access.ticket_role(AnonymousUser(), anon_ticket, token) is None


def test_link_expires(anon_ticket, monkeypatch):
    token = access.make_link_token(anon_ticket)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 29 * 24 * 3600)
    assert access.ticket_role(AnonymousUser(), anon_ticket, token) == access.Role.LINK
    monkeypatch.setattr(time, "time", lambda: now + 31 * 24 * 3600)
    assert access.read_link_token(token) is None
    assert access.ticket_role(AnonymousUser(), anon_ticket, token) is None
    assert list(access.messages_for(AnonymousUser(), anon_ticket, token)) == []


def test_link_expires_after_the_configured_max_age(anon_ticket, settings, monkeypatch):
    settings.WAGTAILSUPPORT_LINK_MAX_AGE = 60
    token = access.make_link_token(anon_ticket)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 30)
    assert access.can_view_ticket(AnonymousUser(), anon_ticket, token)
    monkeypatch.setattr(time, "time", lambda: now + 120)
    assert not access.can_view_ticket(AnonymousUser(), anon_ticket, token)


def test_link_stops_working_when_the_requester_address_changes(anon_ticket):
    token = access.make_link_token(anon_ticket)
    assert access.can_view_ticket(AnonymousUser(), anon_ticket, token)
    Ticket.objects.filter(pk=anon_ticket.pk).update(requester_email="new-owner@example.com")
    anon_ticket.refresh_from_db()
    assert access.ticket_role(AnonymousUser(), anon_ticket, token) is None
    assert list(access.messages_for(AnonymousUser(), anon_ticket, token)) == []
    # The new address gets in with a fresh link.
    assert access.can_view_ticket(AnonymousUser(), anon_ticket, access.make_link_token(anon_ticket))


def test_link_for_the_beneficiary_works_only_while_they_are_the_beneficiary(category):
    t = factories.open_ticket(
        requester_name="Ann", requester_email="ann@example.com",
        beneficiary_name="Ben", beneficiary_email="Ben@Example.com", category=category,
    )
    token = access.make_link_token(t, email="BEN@example.com")
    assert access.ticket_role(AnonymousUser(), t, token) == access.Role.LINK
    Ticket.objects.filter(pk=t.pk).update(beneficiary_email="")
    t.refresh_from_db()
    assert access.ticket_role(AnonymousUser(), t, token) is None


def test_link_made_for_a_stranger_address_opens_nothing(anon_ticket):
    token = access.make_link_token(anon_ticket, email="attacker@evil.example")
    assert access.read_link_token(token) == (anon_ticket.pk, "attacker@evil.example")
    assert access.ticket_role(AnonymousUser(), anon_ticket, token) is None


def test_link_with_no_address_opens_nothing(category):
    no_email = factories.make_user("noemail", email="")
    t = factories.open_ticket(no_email, category=category)
    assert t.requester_email == ""
    token = access.make_link_token(t)
    assert access.read_link_token(token) == (t.pk, "")
    assert access.ticket_role(AnonymousUser(), t, token) is None


# PostgreSQL -----------------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_team_note_stays_hidden_from_the_requester_on_postgresql(ticket, requester, agent):
    note = _note(ticket, agent)
    assert note in access.visible_messages(agent)
    assert note not in access.visible_messages(requester)
    assert INTERNAL_BODY not in _bodies(access.messages_for(requester, ticket))


def test_agents_are_found_through_groups_direct_permissions_and_superuser_status(
    django_user_model, agent, supervisor, requester, team
):
    """``access.agents()`` reads the membership tables (a UNION) instead of testing every account: each
    way of holding the agent permission must still count, and nothing else may."""
    from django.contrib.auth.models import Permission

    direct = django_user_model.objects.create_user("direct", "direct@example.com", "x")
    direct.user_permissions.add(Permission.objects.get(codename="work_on_tickets"))
    boss = django_user_model.objects.create_superuser("boss", "boss@example.com", "x")
    gone = factories.make_agent("gone", team)
    retired = django_user_model.objects.create_superuser("retired", "retired@example.com", "x")
    retired.is_active = False
    retired.save()
    editor = django_user_model.objects.create_user("editor2", "editor2@example.com", "x", is_staff=True)

    found = set(access.agents())
    assert {agent, supervisor, direct, boss} <= found
    assert requester not in found and editor not in found and retired not in found
    # Each account once, however many ways it holds the permission.
    boss.user_permissions.add(Permission.objects.get(codename="work_on_tickets"))
    assert list(access.agents()).count(boss) == 1
    assert gone in set(access.agents())
    gone.is_active = False
    gone.save()
    assert gone not in set(access.agents())
    # The same rule as the one-account check.
    for user in (agent, supervisor, direct, boss, requester, editor, retired):
        assert (user in set(access.agents())) == access.is_agent(user)


def test_assignable_agents_are_the_teams_members_and_supervisors_only(agent, colleague, outsider_agent, supervisor, team):
    assignable = set(access.assignable_agents(team))
    assert {agent, colleague, supervisor} <= assignable
    assert outsider_agent not in assignable


# The permission policy of the admin -------------------------------------------------------------------


def test_the_ticket_policy_is_registered_for_tickets():
    from wagtail.permissions import policy_registry

    assert policy_registry.get_by_type(Ticket) is access.ticket_policy


def test_the_ticket_policy_answers_as_the_rules(ticket, anon_ticket, agent, outsider_agent, supervisor, requester):
    from django.contrib.auth.models import AnonymousUser

    policy = access.ticket_policy
    assert policy.user_has_permission(agent, "work") and policy.user_has_permission(supervisor, "work")
    assert not policy.user_has_permission(requester, "work")
    assert not policy.user_has_permission(AnonymousUser(), "work")
    assert policy.user_has_permission(supervisor, "view_all") and not policy.user_has_permission(agent, "view_all")
    # Wagtail's generic actions mean nothing for tickets: every change goes through the workflow.
    assert not any(policy.user_has_permission(supervisor, action) for action in ("add", "change", "delete"))

    assert policy.user_has_permission_for_instance(agent, "work", ticket)
    assert not policy.user_has_permission_for_instance(outsider_agent, "work", ticket)
    assert policy.user_has_permission_for_instance(requester, "view", ticket)
    assert not policy.user_has_permission_for_instance(requester, "work", ticket)
    assert not policy.user_has_permission_for_instance(requester, "view", anon_ticket)

    assert set(policy.instances_user_has_permission_for(agent, "work")) == {ticket, anon_ticket}
    assert not policy.instances_user_has_permission_for(outsider_agent, "work").exists()
    assert set(policy.instances_user_has_permission_for(requester, "view")) == {ticket}
    assert set(policy.users_with_permission("work")) >= {agent, outsider_agent, supervisor}
    assert requester not in set(policy.users_with_permission("work"))


def test_unassigned_worked_tickets_never_reach_another_teams(agent, outsider_agent, supervisor, requester, category,
                                                              other_team):
    """The unassigned count's rule (``access.unassigned_worked_tickets``, the menu and the inbox's count): an
    agent gets their teams' unassigned tickets and nothing of another team's, whatever their queryset says;
    a requester or an anonymous visitor gets nothing; a supervisor every unassigned ticket."""
    mine = factories.open_ticket(requester, subject="Ours", category=category)
    billing = factories.make_category("Invoices", other_team)
    theirs = factories.open_ticket(requester, subject="Theirs", category=billing)
    taken = factories.open_ticket(requester, subject="Taken", category=category)
    workflow.assign(taken, to=agent, by=agent)
    # Even handed every ticket, the agent's share is their team's unassigned one.
    assert set(access.unassigned_worked_tickets(agent, Ticket.objects.all())) == {mine}
    assert set(access.unassigned_worked_tickets(outsider_agent)) == {theirs}
    assert set(access.unassigned_worked_tickets(supervisor)) == {mine, theirs}
    for nobody in (requester, AnonymousUser()):
        assert not access.unassigned_worked_tickets(nobody, Ticket.objects.all()).exists()
    # The same as the general rule, narrowed to the unassigned.
    for user in (agent, outsider_agent, supervisor):
        assert set(access.unassigned_worked_tickets(user)) == set(
            access.worked_tickets(user).filter(assignee__isnull=True))
