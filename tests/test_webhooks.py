"""Outgoing webhooks: ticket events posted, signed, to a real HTTP receiver on 127.0.0.1.

The receiver (``http.server`` in a thread, on a random port) checks each request's signature with the
snippet of ``wagtail_support.webhooks``'s docstring, run as written there, and records what it got. Retries
go through ``support_tick`` with its ``now``; the address checks (private addresses) and the timeouts are
the ones a production site has, with the test settings loosened only where a test says so.
"""

import datetime
import json
import textwrap
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from tests import factories
from wagtail_support import webhooks, workflow
from wagtail_support.automation import tick
from wagtail_support.models import Message, Ticket, Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db

ALL_EVENTS = [choice.value for choice in Webhook.Event]
NOTE = "Internal only: the customer is on the watch list, do not refund."


def documented_verifier():
    """The ``verify`` of the module docstring, executed as a receiver would copy it."""
    doc = webhooks.__doc__
    start = doc.index("    import hashlib, hmac, time")
    end = doc.index("A 2xx answer")
    namespace = {}
    exec(textwrap.dedent(doc[start:end]), namespace)  # noqa: S102 - the documented snippet, verbatim
    return namespace["verify"]


verify = documented_verifier()


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers with the next planned status."""

    def __init__(self):
        self.requests = []
        self.plan = []  # statuses to answer, in order; 200 once it is empty
        self.hang = 0  # seconds to wait before answering
        self.secret = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.hang:
                    time.sleep(receiver.hang)
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": headers,
                        "body": body,
                        "json": json.loads(body),
                        "verified": bool(receiver.secret) and verify(receiver.secret, body, headers.get("x-support-signature", "")),
                    }
                )
                status = receiver.plan.pop(0) if receiver.plan else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"<b>ok</b>" if status < 300 else b"<script>alert(1)</script> broken")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def events(self):
        return [request["json"]["event"] for request in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def allow_private(settings):
    settings.WAGTAILSUPPORT_WEBHOOK_ALLOW_PRIVATE = True
    settings.WAGTAILSUPPORT_WEBHOOK_TIMEOUTS = (2, 2)


def make_webhook(receiver, events=ALL_EVENTS, path="/hook", **kwargs):
    webhook = Webhook.objects.create(name=kwargs.pop("name", f"Hook {path}"), url=receiver.url(path), events=list(events), **kwargs)
    receiver.secret = webhook.secret
    return webhook


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a move, then what its commit would run (the signals, then the delivery tasks)."""

    def run(move, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return move(*args, **kwargs)

    return run


# Events arrive, signed, with the right payload -------------------------------------------------------------


def test_the_lifecycle_arrives_signed_with_its_payloads(receiver, allow_private, run, requester, category, agent, colleague, team):
    make_webhook(receiver)
    code = factories.make_code("fixed")
    ticket = run(factories.open_ticket, requester, category=category, subject="Printer on fire")
    run(workflow.reply, ticket, by=agent, body="Please unplug it.", set_pending=True)
    run(workflow.assign, ticket, to=colleague, by=agent)
    run(workflow.resolve, ticket, code=code, solution="Unplugged it.", by=colleague)

    assert receiver.events() == [
        "ticket.opened",
        "ticket.status_changed",  # the reply's move announces what changed, then the message
        "ticket.replied",
        "ticket.assigned",
        "ticket.status_changed",
        "ticket.resolved",
    ]
    assert all(request["verified"] for request in receiver.requests)
    opened, pending, replied, assigned, closed, resolved = (request["json"] for request in receiver.requests)
    first = receiver.requests[0]["headers"]
    assert first["content-type"] == "application/json"
    assert first["user-agent"].startswith("wagtail-support/")
    assert first["x-support-event"] == "ticket.opened"
    assert first["x-support-delivery"] == opened["id"] and uuid.UUID(opened["id"])
    assert receiver.requests[0]["path"] == "/hook"

    assert opened["ticket"]["subject"] == "Printer on fire"
    assert opened["ticket"]["reference"] == ticket.reference and opened["ticket"]["number"] == ticket.number
    assert opened["ticket"]["team"] == {"slug": team.slug, "name": team.name}
    assert opened["ticket"]["requester"] == {"name": "Rita Requester", "email": "requester@example.com"}
    assert opened["ticket"]["urls"]["admin"].endswith(reverse("wagtail_support_admin:ticket", args=[ticket.pk]))
    assert opened["message"]["body"] == ticket.description
    assert replied["message"]["body"] == "Please unplug it." and replied["message"]["visibility"] == "public"
    assert replied["message"]["author"] == {"name": "Alice Agent", "role": "agent"}
    assert pending["changes"]["status"] == {"old": "open", "new": "pending"}
    assert assigned["changes"]["assignee"] == {"old": None, "new": {"username": "colleague", "name": "Carl Colleague"}}
    assert assigned["ticket"]["assignee"] == {"username": "colleague", "name": "Carl Colleague"}
    assert closed["changes"]["status"] == {"old": "pending", "new": "closed"}
    assert resolved["ticket"]["status"] == "closed" and resolved["ticket"]["resolution_code"] == "fixed"
    assert resolved["ticket"]["solution"] == "Unplugged it." and resolved["move"] == "resolve"
    assert len({request["json"]["id"] for request in receiver.requests}) == 6
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert "internal" not in opened["ticket"]


def test_a_rating_arrives(receiver, allow_private, run, requester, category, agent):
    if not hasattr(workflow, "rate"):
        pytest.skip("the workflow has no ratings on this branch")
    make_webhook(receiver, events=["ticket.rated"])
    ticket = factories.open_ticket(requester, category=category)
    code = factories.make_code("fixed")
    workflow.resolve(ticket, code=code, solution="Done.", by=agent)
    run(workflow.rate, ticket, by=requester, rating="good", comment="Quick and kind.", closed_at=ticket.closed_at)
    [rated] = [request["json"] for request in receiver.requests]
    assert rated["event"] == "ticket.rated" and rated["rating"] == {"rating": "good", "comment": "Quick and kind."}
    assert receiver.requests[0]["verified"]


def test_events_not_chosen_are_not_sent(receiver, allow_private, run, requester, category, agent, colleague):
    make_webhook(receiver, events=["ticket.assigned"])
    ticket = run(factories.open_ticket, requester, category=category)
    run(workflow.reply, ticket, by=agent, body="On it.")
    run(workflow.assign, ticket, to=colleague, by=agent)
    assert receiver.events() == ["ticket.assigned"]
    assert WebhookDelivery.objects.count() == 1


def test_only_the_tickets_of_the_chosen_teams(receiver, allow_private, run, requester, category, other_team, team):
    make_webhook(receiver, events=["ticket.opened"], path="/billing").teams.add(other_team)
    make_webhook(receiver, events=["ticket.opened"], path="/all")
    billing = factories.make_category("Invoices", other_team)
    run(factories.open_ticket, requester, category=category, subject="Helpdesk ticket")
    run(factories.open_ticket, requester, category=billing, subject="Billing ticket")
    got = sorted((request["path"], request["json"]["ticket"]["subject"]) for request in receiver.requests)
    assert got == [("/all", "Billing ticket"), ("/all", "Helpdesk ticket"), ("/billing", "Billing ticket")]


def test_an_inactive_webhook_hears_nothing(receiver, allow_private, run, requester, category):
    make_webhook(receiver, is_active=False)
    run(factories.open_ticket, requester, category=category)
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()


# Internal notes ---------------------------------------------------------------------------------------------


def test_a_note_reaches_only_the_webhook_with_internal_data(receiver, allow_private, run, ticket, agent):
    make_webhook(receiver, path="/public")
    internal = make_webhook(receiver, path="/internal", include_internal=True)
    receiver.secret = None  # two secrets: checked below, one by one
    run(workflow.reply, ticket, by=agent, body=NOTE, internal=True)

    [noted] = receiver.requests
    assert noted["path"] == "/internal" and noted["json"]["event"] == "ticket.noted"
    assert noted["json"]["message"]["body"] == NOTE and noted["json"]["message"]["visibility"] == "internal"
    assert verify(internal.secret, noted["body"], noted["headers"]["x-support-signature"])
    assert set(noted["json"]["ticket"]["internal"]) == set(webhooks.INTERNAL_TICKET_FIELDS)


def test_the_public_webhook_never_sees_a_note_whatever_it_chose(receiver, allow_private, run, ticket, agent, requester):
    # The attack: a webhook that asks for every event, notes included, without internal data.
    public = make_webhook(receiver, events=ALL_EVENTS, path="/public")
    assert public.wants("ticket.noted")
    run(workflow.reply, ticket, by=agent, body=NOTE, internal=True)
    run(workflow.reply, ticket, by=agent, body="We are looking into it.", set_pending=True)
    run(workflow.reply, ticket, by=requester, body="Thanks.")
    assert receiver.requests, "the public webhook got the public events"
    assert "ticket.noted" not in receiver.events()
    everything = b"\n".join(request["body"] for request in receiver.requests)
    assert NOTE.encode() not in everything and b"watch list" not in everything
    assert all("internal" not in request["json"]["ticket"] for request in receiver.requests)
    stored = json.dumps(list(WebhookDelivery.objects.values_list("payload", flat=True)))
    assert "watch list" not in stored


# Retries --------------------------------------------------------------------------------------------------


def test_a_failing_receiver_is_retried_by_support_tick_with_back_off(receiver, allow_private, run, requester, category):
    make_webhook(receiver, events=["ticket.opened"])
    receiver.plan = [500]
    run(factories.open_ticket, requester, category=category)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1 and delivery.response_status == 500
    assert delivery.error == "HTTP 500" and "<script>" in delivery.response_excerpt
    start = delivery.last_attempt_at
    assert delivery.next_attempt_at - start == pytest.approx(datetime.timedelta(minutes=1), abs=datetime.timedelta(seconds=5))

    # Not due yet: nothing is sent.
    assert "webhook_retries" not in tick(now=start + datetime.timedelta(seconds=30)).done
    assert len(receiver.requests) == 1
    assert tick(now=start + datetime.timedelta(minutes=2)).done["webhook_retries"] == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 2 and delivery.response_status == 200
    assert delivery.next_attempt_at is None and delivery.error == ""
    first, second = receiver.requests
    assert first["json"] == second["json"] and first["headers"]["x-support-delivery"] == second["headers"]["x-support-delivery"]
    assert second["verified"]
    assert "webhook_retries" not in tick(now=start + datetime.timedelta(days=2)).done


def test_after_the_last_attempt_it_is_given_up(receiver, allow_private, run, requester, category):
    make_webhook(receiver, events=["ticket.opened"])
    receiver.plan = [503] * 10
    run(factories.open_ticket, requester, category=category)
    delivery = WebhookDelivery.objects.get()
    waits = []
    now = delivery.last_attempt_at
    while delivery.status == "failed":
        waits.append(round((delivery.next_attempt_at - now).total_seconds() / 60))
        now = delivery.next_attempt_at
        tick(now=now)
        delivery.refresh_from_db()
    assert waits == [1, 5, 30, 120, 720]
    assert delivery.status == "gave_up" and delivery.attempts == 6 and delivery.next_attempt_at is None
    assert len(receiver.requests) == 6
    tick(now=now + datetime.timedelta(days=3))
    assert len(receiver.requests) == 6


def test_send_again_makes_a_new_attempt_of_the_same_event(receiver, allow_private, run, requester, category):
    make_webhook(receiver, events=["ticket.opened"])
    receiver.plan = [500] * 6
    run(factories.open_ticket, requester, category=category)
    delivery = WebhookDelivery.objects.get()
    for _ in range(5):
        webhooks.deliver(delivery.pk, now=WebhookDelivery.objects.get().next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == "gave_up"
    assert webhooks.send_again(delivery) == "delivered"
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 7
    assert len({request["headers"]["x-support-delivery"] for request in receiver.requests}) == 1
    assert receiver.requests[-1]["verified"]


def test_a_receiver_that_hangs_times_out(receiver, allow_private, settings, run, requester, category):
    settings.WAGTAILSUPPORT_WEBHOOK_TIMEOUTS = (1, 0.5)
    make_webhook(receiver, events=["ticket.opened"])
    receiver.hang = 2
    began = time.monotonic()
    run(factories.open_ticket, requester, category=category)
    assert time.monotonic() - began < 1.9
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and "timed out" in delivery.error.lower() and delivery.response_status is None


# The signature ----------------------------------------------------------------------------------------------


def test_the_documented_verifier_refuses_a_forgery():
    secret, body = "whsec_test", b'{"event":"ticket.opened"}'
    now = time.time()
    header = webhooks.sign(secret, body, now)
    assert verify(secret, body, header)
    assert not verify(secret, body.replace(b"opened", b"closed"), header)  # a tampered body
    assert not verify("whsec_other", body, header)  # another secret
    assert not verify(secret, body, webhooks.sign(secret, body, now - 301))  # an old timestamp
    assert not verify(secret, body, webhooks.sign(secret, body, now + 301))
    forged_time = header.replace(f"t={int(now)}", f"t={int(now) + 10}")
    assert not verify(secret, body, forged_time)  # the timestamp is signed too
    assert not verify(secret, body, "v1=" + header.split("v1=")[1])
    assert not verify(secret, body, "")


def test_a_rotated_secret_signs_the_next_attempt(receiver, allow_private, run, requester, category):
    webhook = make_webhook(receiver, events=["ticket.opened"])
    receiver.plan = [500]
    run(factories.open_ticket, requester, category=category)
    old = webhook.secret
    webhook.rotate_secret()
    assert webhook.secret != old and webhook.secret.startswith("whsec_")
    receiver.secret = webhook.secret
    webhooks.send_again(WebhookDelivery.objects.get())
    assert receiver.requests[-1]["verified"]
    assert not verify(old, receiver.requests[-1]["body"], receiver.requests[-1]["headers"]["x-support-signature"])


# Addresses --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "169.254.169.254", "[::1]", "0.0.0.0"])
def test_private_addresses_are_refused_by_default(receiver, settings, run, requester, category, host):
    settings.WAGTAILSUPPORT_WEBHOOK_ALLOW_PRIVATE = False
    settings.WAGTAILSUPPORT_WEBHOOK_TIMEOUTS = (1, 1)
    Webhook.objects.create(name="Inside", url=f"http://{host}:{receiver.port}/hook", events=["ticket.opened"])
    run(factories.open_ticket, requester, category=category)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1
    assert delivery.error.startswith("Refused:") and "WAGTAILSUPPORT_WEBHOOK_ALLOW_PRIVATE" in delivery.error
    assert receiver.requests == []


def fake_dns(monkeypatch, names):
    """``socket.getaddrinfo`` answering ``names`` (host -> addresses); other hosts as usual."""
    import socket

    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in names[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_name_with_one_private_address_among_public_ones_is_refused(receiver, settings, monkeypatch, run, requester, category):
    settings.WAGTAILSUPPORT_WEBHOOK_ALLOW_PRIVATE = False
    fake_dns(monkeypatch, {"hooks.example.test": ["93.184.216.34", "127.0.0.1"]})
    Webhook.objects.create(name="Mixed", url=f"http://hooks.example.test:{receiver.port}/hook", events=["ticket.opened"])
    run(factories.open_ticket, requester, category=category)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and "127.0.0.1" in delivery.error and receiver.requests == []


def test_the_connection_goes_to_the_address_checked_with_the_host_name_kept(receiver, allow_private, monkeypatch, run, requester, category):
    # The name resolves to the receiver: the request reaches it, and says which host it was for.
    fake_dns(monkeypatch, {"hooks.example.test": ["127.0.0.1"]})
    webhook = make_webhook(receiver, events=["ticket.opened"])
    webhook.url = f"http://hooks.example.test:{receiver.port}/in?key=1"
    webhook.save()
    run(factories.open_ticket, requester, category=category)
    [request] = receiver.requests
    assert request["headers"]["host"] == f"hooks.example.test:{receiver.port}" and request["path"] == "/in?key=1"
    assert request["verified"]


def test_https_checks_the_certificate(receiver, allow_private, run, requester, category):
    # The receiver speaks plain HTTP: the TLS handshake fails, nothing is posted in clear.
    webhook = make_webhook(receiver, events=["ticket.opened"])
    webhook.url = webhook.url.replace("http://", "https://")
    webhook.save()
    run(factories.open_ticket, requester, category=category)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and "SSL" in delivery.error and receiver.requests == []


def test_a_redirect_is_not_followed(receiver, allow_private, run, requester, category):
    make_webhook(receiver, events=["ticket.opened"])
    receiver.plan = [302]
    run(factories.open_ticket, requester, category=category)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and "not followed" in delivery.error and len(receiver.requests) == 1


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/hook", "http://user:pass@example.com/hook", "http://token@example.com/", "javascript:alert(1)", "example.com"],
)
def test_an_address_with_credentials_or_another_scheme_is_refused(url):
    webhook = Webhook(name="Bad", url=url, events=["ticket.opened"])
    with pytest.raises(Exception) as raised:
        webhook.full_clean()
    assert "url" in raised.value.message_dict


# The supervisors' screens ----------------------------------------------------------------------------------


def admin(name, *args):
    return reverse(f"wagtail_support_webhooks:{name}", args=args)


FORM = {"name": "Chat", "url": "https://hooks.example.com/support", "events": ["ticket.opened", "ticket.resolved"], "is_active": "on"}


def test_a_supervisor_adds_a_webhook_and_sees_its_secret(client, supervisor, team):
    client.force_login(supervisor)
    assert client.get(admin("index")).status_code == 200
    response = client.post(admin("add"), {**FORM, "teams": [team.pk]})
    webhook = Webhook.objects.get()
    assert response.status_code == 302 and response["Location"] == admin("edit", webhook.pk)
    assert webhook.events == ["ticket.opened", "ticket.resolved"] and list(webhook.teams.all()) == [team]
    assert webhook.created_by == supervisor and webhook.secret.startswith("whsec_") and not webhook.include_internal
    page = client.get(admin("edit", webhook.pk)).content.decode()
    assert f'value="{webhook.secret}"' in page and "w-clipboard#copy" in page
    assert admin("rotate", webhook.pk) in page and admin("deliveries", webhook.pk) in page
    listing = client.get(admin("index")).content.decode()
    assert "Chat" in listing and "Ticket opened" in listing and admin("deliveries", webhook.pk) in listing


@pytest.mark.parametrize(
    "override, field",
    [
        ({"url": "https://user:secret@hooks.example.com/"}, "url"),
        ({"url": "file:///etc/passwd"}, "url"),
        ({"events": ["ticket.noted"]}, "include_internal"),
        ({"events": ["ticket.deleted"]}, "events"),
        ({"events": []}, "events"),
    ],
)
def test_the_form_refuses_bad_input_with_a_clear_error(client, supervisor, override, field):
    client.force_login(supervisor)
    response = client.post(admin("add"), {**FORM, **override})
    assert response.status_code == 200 and not Webhook.objects.exists()
    assert field in response.context["form"].errors


def test_rotating_the_secret_is_a_post(client, supervisor):
    webhook = Webhook.objects.create(name="Chat", url="https://hooks.example.com/", events=["ticket.opened"])
    old = webhook.secret
    client.force_login(supervisor)
    assert client.get(admin("rotate", webhook.pk)).status_code == 405
    webhook.refresh_from_db()
    assert webhook.secret == old
    response = client.post(admin("rotate", webhook.pk))
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert webhook.secret != old


def test_rotating_needs_the_csrf_token(supervisor):
    from django.test import Client

    webhook = Webhook.objects.create(name="Chat", url="https://hooks.example.com/", events=["ticket.opened"])
    old = webhook.secret
    client = Client(enforce_csrf_checks=True)
    client.force_login(supervisor)
    assert client.post(admin("rotate", webhook.pk)).status_code == 403
    webhook.refresh_from_db()
    assert webhook.secret == old


def test_the_log_sends_again_and_sends_a_test_event(client, supervisor, receiver, allow_private, run, requester, category, django_capture_on_commit_callbacks):
    webhook = make_webhook(receiver, events=["ticket.opened"])
    receiver.plan = [500]
    run(factories.open_ticket, requester, category=category)
    delivery = WebhookDelivery.objects.get()
    client.force_login(supervisor)
    page = client.get(admin("deliveries", webhook.pk)).content.decode()
    assert "HTTP 500" in page and admin("send_again", delivery.pk) in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # escaped
    assert "<caption" in page and 'scope="col"' in page
    assert "Payload" in page and "&quot;event&quot;: &quot;ticket.opened&quot;" in page

    response = client.post(admin("send_again", delivery.pk))
    assert response.status_code == 302 and response["Location"] == admin("deliveries", webhook.pk)
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert [request["headers"]["x-support-delivery"] for request in receiver.requests] == [str(delivery.event_id)] * 2

    with django_capture_on_commit_callbacks(execute=True):  # the test event is enqueued on commit
        response = client.post(admin("ping", webhook.pk))
    assert response.status_code == 302
    ping = receiver.requests[-1]
    assert ping["json"]["event"] == "ping" and ping["json"]["webhook"]["name"] == webhook.name and ping["verified"]
    assert WebhookDelivery.objects.filter(event="ping", status="delivered").count() == 1


def denied(response):
    """Refused: a 403, or Wagtail's answer to a PermissionDenied in its admin (back to the dashboard)."""
    return response.status_code == 403 or (response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home"))


def test_a_plain_agent_is_refused_everywhere(client, agent, receiver, allow_private, run, requester, category):
    webhook = make_webhook(receiver, events=["ticket.opened"])
    run(factories.open_ticket, requester, category=category)
    delivery = WebhookDelivery.objects.get()
    secret = webhook.secret
    client.force_login(agent)
    for url in [admin("index"), admin("add"), admin("edit", webhook.pk), admin("deliveries", webhook.pk), admin("deliveries", 99999)]:
        response = client.get(url)
        assert denied(response), url
        assert secret.encode() not in response.content
    for url in [admin("rotate", webhook.pk), admin("ping", webhook.pk), admin("send_again", delivery.pk), admin("delete", webhook.pk)]:
        assert denied(client.post(url)), url
    webhook.refresh_from_db()
    assert webhook.secret == secret and Webhook.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1 and len(receiver.requests) == 1
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert admin("index") not in home


def test_supervisors_see_the_menu_item_and_hold_the_permissions(client, supervisor):
    for codename in ("add_webhook", "change_webhook", "delete_webhook", "view_webhook", "view_webhookdelivery"):
        assert supervisor.has_perm(f"wagtail_support.{codename}"), codename
    client.force_login(supervisor)
    assert admin("index") in client.get(reverse("wagtailadmin_home")).content.decode()


def test_a_receiver_that_is_down_costs_one_attempt_per_tick(receiver, allow_private, run, requester, category):
    webhook = make_webhook(receiver, events=["ticket.opened"])
    receiver.plan = [500] * 3
    for n in range(3):
        run(factories.open_ticket, requester, category=category, subject=f"Ticket {n}")
    assert len(receiver.requests) == 3
    later = WebhookDelivery.objects.order_by("-next_attempt_at").first().next_attempt_at + datetime.timedelta(seconds=1)
    receiver.plan = [500] * 3
    assert tick(now=later).done["webhook_retries"] == 1  # the first fails: the two others wait
    assert len(receiver.requests) == 4
    assert WebhookDelivery.objects.filter(attempts=1).count() == 2
    webhook.is_active = False
    webhook.save()
    assert "webhook_retries" not in tick(now=later + datetime.timedelta(hours=1)).done  # switched off: nothing
    assert len(receiver.requests) == 4


def test_a_task_never_run_is_sent_by_the_tick(receiver, allow_private, settings, run, requester, category):
    # A worker backend whose workers are down (the dummy backend keeps the task and never runs it).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    make_webhook(receiver, events=["ticket.opened"])
    run(factories.open_ticket, requester, category=category)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 0 and receiver.requests == []
    assert tick().done["webhook_retries"] == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and receiver.events() == ["ticket.opened"]


@pytest.mark.parametrize("events", [["ticket.deleted"], "ticket.opened", [{"event": "ticket.opened"}]])
def test_the_model_refuses_unknown_events(events):
    webhook = Webhook(name="Odd", url="https://hooks.example.com/", events=events)
    with pytest.raises(Exception) as raised:
        webhook.full_clean()
    assert "events" in raised.value.message_dict
    Webhook(name="Fine", url="https://hooks.example.com/", events=["ticket.opened"]).full_clean()
