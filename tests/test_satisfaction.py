"""Satisfaction ratings: the requester rates a closing good or bad (with a comment), through a signed link.

The link of the resolution mail opens a page; only its POST (with CSRF) records the rating, through
``workflow.rate``: a robot that fetches the link records nothing. A forged, changed, expired or outdated
link rates nothing and shows nothing of the ticket. One rating per closing, which the requester may change
for ``WAGTAILSUPPORT_RATING_DAYS``; reopening keeps the ratings as history. A bad rating mails the assignee.
"""

import datetime
import re

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from tests import factories
from wagtail_support import access, signals, workflow
from wagtail_support.models import Ticket

pytestmark = pytest.mark.django_db

SOLUTION = "Your password was reset: log in with the link we sent."
NOTE = "Internal: this customer is on the fraud watch list since March."
GOOD, BAD = Ticket.Satisfaction.GOOD, Ticket.Satisfaction.BAD


@pytest.fixture(autouse=True)
def _settings(settings, empty_cache):
    settings.WAGTAILSUPPORT_RATING_DAYS = 14
    settings.WAGTAILSUPPORT_DEFAULT_TEAM = "helpdesk"


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def resolved(anon_ticket, agent, resolution_code, on_commit, support_page):
    """Ann's ticket, assigned to Alice, with an internal note, resolved (the mails sent)."""
    workflow.assign(anon_ticket, to=agent, by=agent)
    workflow.reply(anon_ticket, by=agent, body=NOTE, internal=True)
    with on_commit():
        workflow.resolve(anon_ticket, code=resolution_code, solution=SOLUTION, by=agent)
    anon_ticket.refresh_from_db()
    return anon_ticket


def rate_url(token, rating=GOOD):
    return reverse("wagtail_support:rate", kwargs={"token": token, "rating": rating})


def post_rating(client, token, rating=GOOD, comment="", **extra):
    return client.post(rate_url(token, rating), {"rating": rating, "comment": comment, **extra})


def rating_links(message):
    """The rating URLs of a mail's text: {"good": url, "bad": url}."""
    return dict(re.findall(r"\[(Good|Bad)\] (\S+)", message.body)) and {
        label.lower(): url for label, url in re.findall(r"\[(Good|Bad)\] (\S+)", message.body)
    }


def path_of(url):
    return re.sub(r"^https?://[^/]+", "", url)


def assert_nothing_of(response, ticket):
    html = response.content.decode()
    for secret in (ticket.subject, ticket.reference, ticket.requester_email, ticket.requester_name, NOTE, SOLUTION):
        assert secret not in html


# The mail's links, and the page they open ----------------------------------------------------------------


def test_the_resolution_mail_offers_good_and_bad_links_in_text_and_html(resolved):
    sent = [m for m in mail.outbox if m.to == ["ann@example.com"] and "Resolved" in m.subject]
    assert len(sent) == 1
    links = rating_links(sent[0])
    assert set(links) == {"good", "bad"}
    assert all(url.startswith("http://localhost") or url.startswith("http") for url in links.values())
    assert "How did we do?" in sent[0].body
    html = sent[0].alternatives[0][0]
    assert "How did we do?" in html
    for url in links.values():
        assert url.replace("&", "&amp;") in html
        assert "/support-files/rate/" in url


def test_a_follower_gets_no_rating_links(anon_ticket, agent, resolution_code, on_commit, support_page):
    workflow.add_follower(anon_ticket, agent, "bob@example.org")
    with on_commit():
        workflow.resolve(anon_ticket, code=resolution_code, solution=SOLUTION, by=agent)
    to_bob = [m for m in mail.outbox if m.to == ["bob@example.org"] and "Resolved" in m.subject]
    assert to_bob and "How did we do?" not in to_bob[0].body and not rating_links(to_bob[0])


def test_a_robot_fetching_the_link_records_nothing(resolved):
    links = rating_links(mail.outbox[-1] if rating_links(mail.outbox[-1]) else next(m for m in mail.outbox if rating_links(m)))
    robot = Client()
    for url in links.values():
        response = robot.get(path_of(url))
        assert response.status_code == 200
        assert robot.head(path_of(url)).status_code == 200
    resolved.refresh_from_db()
    assert resolved.satisfaction == "" and not resolved.ratings.exists()
    page = robot.get(path_of(links["bad"])).content.decode()
    # The page's choice is the link's, sent once by the script for a person.
    assert re.search(r'<input[^>]*value="bad"[^>]*checked', page)
    assert "data-ws-autosubmit" in page and "rating.js" in page
    assert NOTE not in page and SOLUTION not in page


def test_the_post_records_the_rating_and_the_page_thanks_and_offers_the_comment(resolved):
    token = access.make_rating_token(resolved, "ann@example.com")
    client = Client(enforce_csrf_checks=True)
    page = client.get(rate_url(token, GOOD))
    csrf = page.cookies["csrftoken"].value
    response = client.post(rate_url(token, GOOD), {"rating": GOOD, "comment": "", "csrfmiddlewaretoken": csrf})
    assert response.status_code == 302
    resolved.refresh_from_db()
    assert resolved.satisfaction == GOOD and resolved.satisfaction_at is not None
    rating = resolved.ratings.get()
    assert (rating.closed_at, rating.rating, rating.rated_by_email) == (resolved.closed_at, GOOD, "ann@example.com")
    thanks = client.get(response["Location"]).content.decode()
    assert "Thank you" in thanks and "data-ws-autosubmit" not in thanks and 'name="comment"' in thanks
    # The comment, on the same page.
    client.post(rate_url(token, GOOD), {"rating": GOOD, "comment": "Quick and kind.", "csrfmiddlewaretoken": csrf})
    assert resolved.ratings.get().comment == "Quick and kind."


def test_a_post_without_csrf_is_refused(resolved):
    token = access.make_rating_token(resolved)
    response = post_rating(Client(enforce_csrf_checks=True), token)
    assert response.status_code == 403
    assert not resolved.ratings.exists()


def test_the_history_says_rated_with_the_comment(resolved, agent):
    token = access.make_rating_token(resolved)
    post_rating(Client(), token, BAD, "Took a week.")
    client = Client()
    client.force_login(agent)
    html = client.get(reverse("wagtail_support_admin:ticket_history", args=[resolved.pk])).content.decode()
    assert "Rated bad" in html and "Took a week." in html


# Refused links --------------------------------------------------------------------------------------------


def test_a_tampered_token_is_refused_and_shows_nothing(resolved):
    token = access.make_rating_token(resolved)
    value, signature = token.rsplit(":", 1)
    tampered = f"{value}:{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    for bad in (tampered, "nonsense", access.make_link_token(resolved)):  # a ticket link is no rating link
        for method in ("get", "post"):
            response = getattr(Client(), method)(rate_url(bad), {"rating": GOOD} if method == "post" else None)
            assert response.status_code == 404
            assert "This rating link does not work" in response.content.decode()
            assert_nothing_of(response, resolved)
    assert not resolved.ratings.exists()


def test_a_token_naming_another_ticket_or_another_address_is_refused(resolved, ticket, agent, resolution_code):
    workflow.resolve(ticket, code=resolution_code, solution="Done.", by=agent)
    ticket.refresh_from_db()
    # Signed by us, but for Ann's address on Rita's ticket: a token is only good for the ticket's people.
    forged = signing.dumps(
        {"t": ticket.pk, "c": access._micro(ticket.closed_at), "e": "ann@example.com"}, salt=access.RATING_SALT, compress=True
    )
    stranger = access.make_rating_token(resolved, "mallory@example.com")
    for token in (forged, stranger):
        response = post_rating(Client(), token, BAD)
        assert response.status_code == 404
        assert_nothing_of(response, ticket)
    assert not ticket.ratings.exists() and not resolved.ratings.exists()


def test_a_link_of_an_earlier_closing_is_refused_after_a_reopening(resolved, agent, resolution_code):
    old_token = access.make_rating_token(resolved)
    post_rating(Client(), old_token, GOOD, "Fine the first time.")
    workflow.reopen(resolved, by=agent)
    resolved.refresh_from_db()
    assert resolved.satisfaction == "" and resolved.satisfaction_at is None
    # While open: nothing to rate.
    response = post_rating(Client(), old_token, BAD)
    assert response.status_code == 404 and "reopened" in response.content.decode()
    workflow.resolve(resolved, code=resolution_code, solution="Again.", by=agent)
    response = post_rating(Client(), old_token, BAD)
    assert response.status_code == 404
    assert_nothing_of(response, resolved)
    resolved.refresh_from_db()
    assert resolved.satisfaction == ""
    # The new closing's link rates the new closing; the first rating stays as history.
    post_rating(Client(), access.make_rating_token(resolved), BAD, "Broke again.")
    ratings = list(resolved.ratings.order_by("closed_at").values_list("rating", "comment"))
    assert ratings == [(GOOD, "Fine the first time."), (BAD, "Broke again.")]
    resolved.refresh_from_db()
    assert resolved.satisfaction == BAD


def test_the_workflow_refuses_an_earlier_closing_with_a_clear_message(resolved, agent, resolution_code):
    first_closing = resolved.closed_at
    workflow.reopen(resolved, by=agent)
    workflow.resolve(resolved, code=resolution_code, solution="Again.", by=agent)
    ann = workflow.Actor(email="ann@example.com", trusted_role="requester")
    with pytest.raises(workflow.IllegalTransition, match="earlier closing"):
        workflow.rate(resolved, GOOD, by=ann, closed_at=first_closing)


def test_an_expired_link_is_refused_and_says_the_rating_period_ended(resolved):
    # Time travel: the closing is older than the rating period (a link made for it now is still refused).
    Ticket.objects.filter(pk=resolved.pk).update(closed_at=resolved.closed_at - datetime.timedelta(days=15))
    resolved.refresh_from_db()
    expired_token = access.make_rating_token(resolved)
    response = Client().get(rate_url(expired_token))
    assert response.status_code == 404
    assert "The rating period has ended" in response.content.decode()
    assert_nothing_of(response, resolved)
    assert post_rating(Client(), expired_token).status_code == 404
    assert not resolved.ratings.exists()
    # One day inside the window, the same closing may be rated.
    Ticket.objects.filter(pk=resolved.pk).update(closed_at=timezone.now() - datetime.timedelta(days=13))
    resolved.refresh_from_db()
    assert post_rating(Client(), access.make_rating_token(resolved)).status_code == 302
    assert resolved.ratings.count() == 1


def test_an_old_signature_is_expired_too(resolved, settings, monkeypatch):
    import time

    settings.WAGTAILSUPPORT_RATING_DAYS = 1
    token = access.make_rating_token(resolved)
    # The closing's window, checked on the server whatever the token's age.
    future = timezone.now() + datetime.timedelta(days=2)
    assert access.open_rating_token(token, now=future).refusal == access.RatingRefusal.EXPIRED
    # The signature's own age: signed two days ago for a one-day period.
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 2 * 86400)
    old = access.make_rating_token(resolved)
    monkeypatch.setattr(time, "time", real_time)
    assert access.open_rating_token(old).refusal == access.RatingRefusal.EXPIRED
    assert access.open_rating_token(token).ok


def test_the_rating_can_be_changed_within_the_window(resolved):
    token = access.make_rating_token(resolved)
    post_rating(Client(), token, GOOD)
    first = resolved.ratings.get()
    post_rating(Client(), token, BAD, "Actually it broke again.")
    rating = resolved.ratings.get()
    assert rating.pk == first.pk and rating.rating == BAD and rating.comment == "Actually it broke again."
    assert rating.updated_at > first.updated_at and rating.created_at == first.created_at
    resolved.refresh_from_db()
    assert resolved.satisfaction == BAD


def test_the_same_rating_sent_twice_changes_nothing(resolved):
    token = access.make_rating_token(resolved)
    post_rating(Client(), token, GOOD, "Thanks")
    resolved.refresh_from_db()
    version = resolved.version
    post_rating(Client(), token, GOOD, "Thanks")
    resolved.refresh_from_db()
    assert resolved.version == version and resolved.ratings.count() == 1


# Who hears about it --------------------------------------------------------------------------------------


def test_a_bad_rating_mails_the_assignee_once(resolved, agent, on_commit):
    token = access.make_rating_token(resolved)
    received = []

    def listener(sender, ticket, rating, actor, **kwargs):
        received.append((ticket.pk, rating, actor))

    signals.ticket_rated.connect(listener)
    try:
        mail.outbox.clear()
        with on_commit():
            post_rating(Client(), token, GOOD)
        assert not [m for m in mail.outbox if m.to == [agent.email]]
        with on_commit():
            post_rating(Client(), token, BAD, "Nobody called back.")
        to_alice = [m for m in mail.outbox if m.to == [agent.email]]
        assert len(to_alice) == 1
        assert "Rated bad" in to_alice[0].subject and "Nobody called back." in to_alice[0].body
        assert "Nobody called back." in to_alice[0].alternatives[0][0]
        # Only the comment changes: no second mail.
        with on_commit():
            post_rating(Client(), token, BAD, "Nobody called back, twice.")
        assert len([m for m in mail.outbox if m.to == [agent.email]]) == 1
    finally:
        signals.ticket_rated.disconnect(listener)
    assert received == [(resolved.pk, GOOD, None), (resolved.pk, BAD, None), (resolved.pk, BAD, None)]


def test_a_bad_rating_of_an_unassigned_ticket_mails_the_team(anon_ticket, agent, colleague, resolution_code, on_commit, support_page):
    workflow.resolve(anon_ticket, code=resolution_code, solution=SOLUTION, by=agent)
    anon_ticket.refresh_from_db()
    assert anon_ticket.assignee_id is None
    mail.outbox.clear()
    with on_commit():
        post_rating(Client(), access.make_rating_token(anon_ticket), BAD)
    recipients = {m.to[0] for m in mail.outbox}
    assert {agent.email, colleague.email} <= recipients
    assert "ann@example.com" not in recipients


# What may be rated ---------------------------------------------------------------------------------------


def test_abandoned_and_merged_tickets_are_not_ratable(anon_ticket, ticket, agent, category):
    workflow.abandon(anon_ticket, by=agent)
    anon_ticket.refresh_from_db()
    response = post_rating(Client(), access.make_rating_token(anon_ticket), BAD)
    assert response.status_code == 404 and "cannot be rated" in response.content.decode()
    other = factories.open_ticket(requester_name="Ann Onymous", requester_email="ann@example.com", subject="Again", category=category)
    workflow.merge(other, ticket, by=agent)
    other.refresh_from_db()
    assert other.close_reason == Ticket.CloseReason.MERGED
    response = post_rating(Client(), access.make_rating_token(other), BAD)
    assert response.status_code == 404
    ann = workflow.Actor(email="ann@example.com", trusted_role="requester")
    for closed in (anon_ticket, other):
        with pytest.raises(workflow.IllegalTransition):
            workflow.rate(closed, GOOD, by=ann, closed_at=closed.closed_at)
        assert not closed.ratings.exists()


def test_a_requester_who_closed_their_ticket_may_rate_it(ticket, requester):
    workflow.close_by_requester(ticket, by=requester)
    ticket.refresh_from_db()
    workflow.rate(ticket, GOOD, "Sorted it myself, thanks.", by=requester, closed_at=ticket.closed_at)
    rating = ticket.ratings.get()
    assert rating.rated_by_user == requester and ticket.satisfaction == GOOD


def test_an_agent_cannot_rate(resolved, agent):
    with pytest.raises(workflow.NotAllowed):
        workflow.rate(resolved, GOOD, by=agent, closed_at=resolved.closed_at)


def test_rating_days_zero_offers_nothing(resolved, settings, on_commit, agent, resolution_code):
    settings.WAGTAILSUPPORT_RATING_DAYS = 0
    token = access.make_rating_token(resolved)
    assert post_rating(Client(), token).status_code == 404
    workflow.reopen(resolved, by=agent)
    mail.outbox.clear()
    with on_commit():
        workflow.resolve(resolved, code=resolution_code, solution=SOLUTION, by=agent)
    sent = [m for m in mail.outbox if m.to == ["ann@example.com"]]
    assert sent and "How did we do?" not in sent[0].body
    link = access.make_link_token(resolved)
    client = Client()
    client.get(support_page_ticket(resolved) + f"?t={link}")
    assert "ws-rating-form" not in client.get(support_page_ticket(resolved)).content.decode()


# The ticket's page ---------------------------------------------------------------------------------------


def support_page_ticket(ticket):
    from wagtail_support.links import support_page_for

    page = support_page_for(ticket)
    return page.ticket_path(ticket)


def test_the_ticket_page_offers_the_rating_to_the_requester_and_it_comes_back(resolved):
    client = Client()
    client.get(support_page_ticket(resolved) + f"?t={access.make_link_token(resolved)}")
    html = client.get(support_page_ticket(resolved)).content.decode()
    assert "ws-rating-form" in html and "data-ws-autosubmit" not in html
    action = re.search(r'<form class="ws-form ws-rating-form" method="post" action="([^"]+)"', html).group(1)
    response = client.post(action, {"rating": BAD, "comment": "Slow.", "back": "ticket"})
    assert response.status_code == 302 and response["Location"].endswith(support_page_ticket(resolved) + "#rating")
    html = client.get(support_page_ticket(resolved)).content.decode()
    # The current rating is chosen, the comment kept: it can be changed.
    assert re.search(r'<input[^>]*value="bad"[^>]*checked', html) and "Slow." in html
    assert 'data-rating-recorded="bad"' in html


def test_a_logged_in_requester_rates_from_the_ticket_page(ticket, requester, agent, resolution_code, support_page):
    workflow.resolve(ticket, code=resolution_code, solution="Done.", by=agent)
    client = Client()
    client.force_login(requester)
    html = client.get(support_page_ticket(ticket)).content.decode()
    action = re.search(r'ws-rating-form" method="post" action="([^"]+)"', html).group(1)
    client.post(action, {"rating": GOOD, "back": "ticket"})
    assert ticket.ratings.get().rated_by_user == requester


def test_a_follower_never_sees_the_rating_form(resolved, agent):
    workflow.add_follower(resolved, agent, "bob@example.org")
    client = Client()
    client.get(support_page_ticket(resolved) + f"?t={access.make_link_token(resolved, 'bob@example.org')}")
    html = client.get(support_page_ticket(resolved)).content.decode()
    assert resolved.subject in html  # the follower sees the ticket
    assert "ws-rating-form" not in html
    # Nor does a rating token made for their address work.
    assert post_rating(Client(), access.make_rating_token(resolved, "bob@example.org")).status_code == 404


def test_the_rating_page_shows_no_internal_data(resolved, agent):
    token = access.make_rating_token(resolved)
    html = Client().get(rate_url(token)).content.decode()
    assert resolved.reference in html and resolved.subject in html
    for secret in (NOTE, agent.email, agent.get_full_name(), "helpdesk"):
        assert secret not in html


def test_the_rating_page_renders_in_french(resolved):
    token = access.make_rating_token(resolved)
    with translation.override("fr"):
        response = Client(HTTP_ACCEPT_LANGUAGE="fr").get(rate_url(token))
        assert response.status_code == 200
        assert 'name="rating"' in response.content.decode()
        refused = Client(HTTP_ACCEPT_LANGUAGE="fr").get(rate_url("forged"))
        assert refused.status_code == 404


# Limits ----------------------------------------------------------------------------------------------------


def test_forged_posts_run_into_the_rate_limit(resolved, settings):
    settings.WAGTAILSUPPORT_RATE_LIMITS = {"rate": (30, 3600), "invalid": (3, 3600)}
    client = Client()
    for _ in range(3):
        assert post_rating(client, "forged").status_code == 404
    refused = post_rating(client, access.make_rating_token(resolved))
    assert refused.status_code == 429
    assert not resolved.ratings.exists()


# The admin -------------------------------------------------------------------------------------------------


@pytest.fixture
def rated_three(agent, category, resolution_code, support_page):
    """Three closed tickets of the team: rated good, rated bad (with a comment), not rated; and one open."""
    tickets = {}
    for name, rating in (("good", GOOD), ("bad", BAD), ("unrated", None)):
        ticket = factories.open_ticket(
            requester_name=f"Requester {name}", requester_email=f"{name}@example.com", subject=f"Subject {name}", category=category
        )
        workflow.resolve(ticket, code=resolution_code, solution="Done.", by=agent)
        ticket.refresh_from_db()
        if rating:
            post_rating(Client(), access.make_rating_token(ticket), rating, "Too slow." if rating == BAD else "")
        tickets[name] = ticket
    tickets["open"] = factories.open_ticket(
        requester_name="Still open", requester_email="open@example.com", subject="Subject open", category=category
    )
    return tickets


def inbox(client, **params):
    return client.get(reverse("wagtail_support_admin:inbox"), {"view": "all", **params}).content.decode()


def test_the_inbox_filters_and_shows_the_satisfaction(rated_three, agent):
    client = Client()
    client.force_login(agent)
    html = inbox(client, status="closed")
    assert 'data-ws-satisfaction="good"' in html and 'data-ws-satisfaction="bad"' in html
    assert "Satisfaction:" in html  # the words read aloud with the tag
    good = inbox(client, satisfaction="good")
    assert "Subject good" in good and "Subject bad" not in good and "Subject unrated" not in good
    bad = inbox(client, satisfaction="bad")
    assert "Subject bad" in bad and "Subject good" not in bad
    unrated = inbox(client, satisfaction="none")
    assert "Subject unrated" in unrated and "Subject good" not in unrated and "Subject open" not in unrated


def test_the_inbox_runs_as_many_queries_with_ratings(rated_three, agent, django_assert_max_num_queries):
    client = Client()
    client.force_login(agent)
    inbox(client, status="closed")
    with django_assert_max_num_queries(16):
        html = inbox(client, status="closed", satisfaction="bad")
    assert "Subject bad" in html


def test_the_workspace_shows_the_rating_and_its_history(resolved, agent, resolution_code):
    post_rating(Client(), access.make_rating_token(resolved), GOOD, "First time fine.")
    workflow.reopen(resolved, by=agent)
    workflow.resolve(resolved, code=resolution_code, solution="Again.", by=agent)
    resolved.refresh_from_db()
    post_rating(Client(), access.make_rating_token(resolved), BAD, "Broke again & again.")
    client = Client()
    client.force_login(agent)
    html = client.get(reverse("wagtail_support_admin:ticket", args=[resolved.pk])).content.decode()
    section = html[html.index('id="wsw-satisfaction"') :]
    section = section[: section.index("</section>")]
    assert 'data-ws-satisfaction="bad"' in section
    items = re.findall(r'data-ws-rating="(good|bad)"', section)
    assert items == ["bad", "good"]  # newest closing first
    assert "Broke again &amp; again." in section and "First time fine." in section
