"""Outgoing webhooks: ticket events posted as signed JSON to the addresses supervisors registered.

Fed by the workflow's signals, which are sent once a move has committed (``wagtail_support.signals``):

============================  ==================================================================
event                         sent when
============================  ==================================================================
``ticket.opened``             a ticket was opened (with its first message)
``ticket.replied``            a public reply was added (by the team or the requester)
``ticket.noted``              an internal note was added: only to webhooks that send internal data
``ticket.assigned``           the assignee changed (``changes.assignee``)
``ticket.status_changed``     the status changed (``changes.status``; any move)
``ticket.resolved``           the ticket was closed (resolved, abandoned, closed by its requester or
                              for want of a reply: ``ticket.close_reason`` says which)
``ticket.rated``              the requester rated the closing, or changed their rating
``ping``                      "Send a test event" in the admin
============================  ==================================================================

Each event makes one ``WebhookDelivery`` per active webhook that chose it and whose teams (if any) include
the ticket's; its payload is built then, once, and kept. A task (``tasks.deliver_webhook``, ids only,
enqueued once the rows are committed) posts it; a failed attempt is tried again after 1 min, 5 min,
30 min, 2 h and 12 h (``WAGTAILSUPPORT_WEBHOOK_RETRY_MINUTES``), by ``support_tick`` (``retry_due``);
after the last one the delivery is given up. A supervisor may send any delivery again, with the same id.

Internal data goes only to webhooks marked "send internal data" (``include_internal``): internal notes
(the ``ticket.noted`` event: text, author, attachments) and the ticket's ``internal`` block (its service
level dues and since when it waits for the team: see ``INTERNAL_TICKET_FIELDS``). Every other field of a
payload is something the ticket's requester is told anyway, or the team's own names (team, assignee).

The payload::

    {"id": "<event id>", "event": "ticket.replied", "created": "2026-12-03T08:00:00+00:00",
     "ticket": {"id", "number", "reference", "subject", "status", "priority", "kind", "channel", "language",
                "category", "team": {"slug", "name"}, "assignee": {"username", "name"},
                "requester": {"name", "email"}, "created", "updated", "closed", "close_reason",
                "resolution_code", "solution", "satisfaction", "urls": {"admin"}},
     "message": {"id", "visibility", "author": {"name", "role"}, "body", "channel", "created",
                 "attachments": [{"filename", "content_type", "size"}]},      # replies, notes, opening
     "move": "resolve", "changes": {"status": {"old": "open", "new": "closed"}, ...},  # assigned, status, resolved
     "rating": {"rating": "good", "comment": "..."}}                          # rated

Each attempt is a POST with ``Content-Type: application/json``, ``User-Agent: wagtail-support/<version>``,
``X-Support-Event`` (the event), ``X-Support-Delivery`` (the event id: the same on every attempt, so a
receiver can drop an event it already has) and ``X-Support-Signature: t=<unix time>,v1=<hex>``, where the
hex is HMAC-SHA256 with the webhook's secret of ``f"{t}.{body}"`` (the body as sent, bytes). Verify it
like this, and refuse a timestamp more than five minutes away (a replayed request)::

    import hashlib, hmac, time

    def verify(secret, body, header, tolerance=300):
        fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
        try:
            timestamp = int(fields["t"])
        except (KeyError, ValueError):
            return False
        if abs(time.time() - timestamp) > tolerance:
            return False
        expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, fields.get("v1", ""))

A 2xx answer is a delivery; anything else (a redirect included: none is followed), a timeout (connect 5 s,
read 10 s: ``WAGTAILSUPPORT_WEBHOOK_TIMEOUTS``) or a refused address is a failed attempt. Before each
attempt the host name is resolved and every address checked: a private, loopback, link-local or reserved
one is refused unless ``WAGTAILSUPPORT_WEBHOOK_ALLOW_PRIVATE`` is True, and the connection goes to the
address checked (a second lookup cannot swap it).
"""

import datetime
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import time
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import __version__, signals
from .conf import support_settings
from .links import admin_ticket_url
from .models import Team, Ticket, Webhook, WebhookDelivery, person_label
from .tasks import deliver_webhook

logger = logging.getLogger(__name__)

Event = Webhook.Event
PING = "ping"
# Only webhooks that send internal data get these events.
INTERNAL_EVENTS = {Event.NOTED}
# The ticket's fields that only webhooks with internal data get (in the payload's ``ticket.internal``).
INTERNAL_TICKET_FIELDS = ("first_response_due", "next_response_due", "resolution_due", "next_due", "awaiting_agent_since")
# The longest a claimed attempt may take before another run may try it again (a worker that died).
CLAIM_SECONDS = 5 * 60
EXCERPT_LENGTH = 1000


# Payloads ---------------------------------------------------------------------------------------------------


def _iso(value):
    return value.isoformat() if value else None


def _user(user):
    return {"username": user.get_username(), "name": person_label(user)} if user is not None else None


def ticket_data(ticket, internal=False):
    """The payload's ``ticket``; with ``internal``, its ``internal`` block too."""
    data = {
        "id": ticket.pk,
        "number": ticket.number,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "kind": ticket.kind,
        "channel": ticket.channel,
        "language": ticket.language,
        "category": str(ticket.category) if ticket.category_id else None,
        "team": {"slug": ticket.team.slug, "name": ticket.team.name} if ticket.team_id else None,
        "assignee": _user(ticket.assignee) if ticket.assignee_id else None,
        "requester": {"name": ticket.requester_display, "email": ticket.requester_email},
        "created": _iso(ticket.created_at),
        "updated": _iso(ticket.updated_at),
        "closed": _iso(ticket.closed_at),
        "close_reason": ticket.close_reason or None,
        "resolution_code": ticket.resolution_code.code if ticket.resolution_code_id else None,
        "solution": ticket.solution,
        "satisfaction": getattr(ticket, "satisfaction", "") or None,
        "urls": {"admin": admin_ticket_url(ticket)},
    }
    if internal:
        data["internal"] = {name: _iso(getattr(ticket, name, None)) for name in INTERNAL_TICKET_FIELDS}
    return data


def message_data(message):
    return {
        "id": message.pk,
        "visibility": message.visibility,
        "author": {"name": message.author_display, "role": message.author_role},
        "body": message.body,
        "channel": message.channel,
        "created": _iso(message.created_at),
        "attachments": [
            {"filename": item.filename, "content_type": item.content_type, "size": item.size}
            for item in message.attachments.all()
        ],
    }


def _labelled_changes(changes):
    """The ``changes`` of ``ticket_changed`` with names instead of ids (users, teams, codes)."""
    users = {"assignee", "requester_user", "beneficiary_user"}
    user_ids = {side[key] for name in users & set(changes) for side in [changes[name]] for key in ("old", "new")} - {None}
    team_ids = {changes["team"][key] for key in ("old", "new")} - {None} if "team" in changes else set()
    found_users = {user.pk: user for user in get_user_model().objects.filter(pk__in=user_ids)} if user_ids else {}
    found_teams = {team.pk: team.slug for team in Team.objects.filter(pk__in=team_ids)} if team_ids else {}
    labelled = {}
    for name, change in changes.items():
        if name in users:
            change = {key: _user(found_users.get(value)) for key, value in change.items()}
        elif name == "team":
            change = {key: found_teams.get(value) for key, value in change.items()}
        elif name == "resolution_code":
            continue  # an id: the ticket's ``resolution_code`` names the new one
        labelled[name] = change
    return labelled


# Recording events -------------------------------------------------------------------------------------------


def _webhooks_for(event, ticket):
    """The active webhooks that chose ``event`` and hear about ``ticket``'s team (a few rows: read whole)."""
    found = []
    for webhook in Webhook.objects.filter(is_active=True).prefetch_related("teams"):
        if not webhook.wants(event):
            continue
        if event in INTERNAL_EVENTS and not webhook.include_internal:
            continue
        teams = {team.pk for team in webhook.teams.all()}
        if ticket is not None and teams and ticket.team_id not in teams:
            continue
        found.append(webhook)
    return found


def record(event, ticket, extra=None, *, internal_extra=None):
    """One pending ``WebhookDelivery`` per webhook for ``event`` about ``ticket``, then (after the commit)
    one task each. ``extra``: the payload's other blocks; ``internal_extra``: the same, for webhooks with
    internal data only. Returns the deliveries."""
    targets = _webhooks_for(event, ticket)
    if not targets:
        return []
    ticket = Ticket.objects.select_related("team", "assignee", "category", "resolution_code").get(pk=ticket.pk)
    now = timezone.now()
    payloads = {}

    def payload_for(internal):
        if internal not in payloads:
            blocks = internal_extra if internal and internal_extra is not None else (extra or {})
            ticket_block = ticket_data(ticket, internal)
            payloads[internal] = {"event": str(event), "created": _iso(now), "ticket": ticket_block, **blocks}
        return payloads[internal]

    deliveries = []
    with transaction.atomic():
        for webhook in targets:
            delivery = WebhookDelivery(webhook=webhook, event=str(event), ticket=ticket, next_attempt_at=now, created_at=now)
            delivery.payload = _json_safe({"id": str(delivery.event_id), **payload_for(webhook.include_internal)})
            delivery.save()
            deliveries.append(delivery)
        transaction.on_commit(lambda: enqueue(deliveries))
    return deliveries


def record_ping(webhook):
    """A ``ping`` delivery to ``webhook`` (whatever events it chose), sent after the commit."""
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery(webhook=webhook, event=PING, next_attempt_at=now, created_at=now)
        delivery.payload = {
            "id": str(delivery.event_id),
            "event": PING,
            "created": _iso(now),
            "webhook": {"name": webhook.name, "events": list(webhook.events or [])},
        }
        delivery.save()
        transaction.on_commit(lambda: enqueue([delivery]))
    return delivery


def _json_safe(data):
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def enqueue(deliveries):
    """Hand each delivery to the task backend; one the queue refuses stays due, for ``support_tick``."""
    for delivery in deliveries:
        try:
            deliver_webhook.using(queue_name=support_settings.TASK_QUEUE).enqueue(delivery_id=delivery.pk)
        except Exception:  # noqa: BLE001 - a broken queue leaves the delivery due; the tick sends it
            logger.exception("Could not enqueue webhook delivery %s; support_tick will send it", delivery.pk)


# Signal receivers (connected by ``signal_handlers``) ---------------------------------------------------------


def on_ticket_opened(sender, ticket, message=None, **kwargs):
    extra = {"message": message_data(message)} if message is not None and not message.is_internal else {}
    internal = {"message": message_data(message)} if message is not None else {}
    record(Event.OPENED, ticket, extra, internal_extra=internal)


def on_message_added(sender, message, ticket, **kwargs):
    if message.is_internal:
        # Only webhooks with internal data choose it (``_webhooks_for``), and only they get this payload.
        record(Event.NOTED, ticket, internal_extra={"message": message_data(message)})
    else:
        record(Event.REPLIED, ticket, {"message": message_data(message)})


def on_ticket_changed(sender, ticket, move, changes, **kwargs):
    if move == "rate":
        return  # ``ticket_rated`` says it, with the rating
    labelled = None
    for event, field in ((Event.ASSIGNED, "assignee"), (Event.STATUS_CHANGED, "status")):
        if field in changes:
            labelled = labelled if labelled is not None else _labelled_changes(changes)
            record(event, ticket, {"move": move, "changes": labelled})
    if "status" in changes and changes["status"]["new"] == Ticket.Status.CLOSED:
        record(Event.RESOLVED, ticket, {"move": move, "changes": labelled})


def on_ticket_rated(sender, ticket, rating, **kwargs):
    current = ticket.ratings.filter(closed_at=ticket.closed_at).first() if hasattr(ticket, "ratings") else None
    record(Event.RATED, ticket, {"rating": {"rating": str(rating), "comment": current.comment if current else ""}})


def connect():
    """Connect the receivers to the workflow's signals (``ticket_rated`` when the workflow has it)."""
    signals.ticket_opened.connect(on_ticket_opened, dispatch_uid="wagtail_support_webhooks_opened")
    signals.message_added.connect(on_message_added, dispatch_uid="wagtail_support_webhooks_message")
    signals.ticket_changed.connect(on_ticket_changed, dispatch_uid="wagtail_support_webhooks_changed")
    rated = getattr(signals, "ticket_rated", None)
    if rated is not None:
        rated.connect(on_ticket_rated, dispatch_uid="wagtail_support_webhooks_rated")


# Signing and sending ----------------------------------------------------------------------------------------


def sign(secret, body, timestamp):
    """The ``X-Support-Signature`` header of ``body`` (bytes) at ``timestamp`` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{int(timestamp)}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={int(timestamp)},v1={digest}"


def verify(secret, body, header, tolerance=300, now=None):
    """The receiver's check, as in the module docstring (for tests and Python receivers)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))


class Refused(Exception):
    """An address we do not post to (private, loopback...), or one that does not resolve."""


def _is_public(address):
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if getattr(ip, "ipv4_mapped", None) is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host, port):
    """The addresses to connect to for ``host``, every one of them checked (``WEBHOOK_ALLOW_PRIVATE``)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Refused(f"Cannot resolve {host}: {error}") from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise Refused(f"Cannot resolve {host}")
    if not support_settings.WEBHOOK_ALLOW_PRIVATE:
        private = [address for address in addresses if not _is_public(address)]
        if private:
            raise Refused(
                f"Refused: {host} resolves to a private, loopback or reserved address ({', '.join(private)}); "
                "set WAGTAILSUPPORT_WEBHOOK_ALLOW_PRIVATE = True to allow it"
            )
    return addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """A connection to an address already checked, whatever the host name resolves to now."""

    def __init__(self, host, port, address, timeouts):
        super().__init__(host, port, timeout=timeouts[0])
        self._address, self._read_timeout = address, timeouts[1]

    def _open(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.settimeout(self._read_timeout)
        return sock

    def connect(self):
        self.sock = self._open()


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = 443

    def connect(self):
        # The certificate is checked against the host name, not the address.
        self.sock = ssl.create_default_context().wrap_socket(self._open(), server_hostname=self.host)


def post(url, body, headers):
    """POST ``body`` to ``url``; returns (status, excerpt of the answer). Raises ``Refused`` or OSError."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    timeouts = tuple(support_settings.WEBHOOK_TIMEOUTS)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    last_error = None
    for address in resolve(parts.hostname, port):
        connection = (_PinnedHTTPSConnection if https else _PinnedHTTPConnection)(parts.hostname, port, address, timeouts)
        try:
            try:
                connection.connect()
            except OSError as error:
                last_error = error
                continue  # the next address of the host
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            excerpt = response.read(4 * EXCERPT_LENGTH).decode("utf-8", "replace")[:EXCERPT_LENGTH]
            location = response.getheader("Location")
            return response.status, excerpt, location
        finally:
            connection.close()
    raise last_error


def _claim(delivery_id, now, manual):
    """Take a due delivery for one attempt. False when it is not due, or another worker has it."""
    rows = WebhookDelivery.objects.filter(pk=delivery_id)
    if not manual:
        rows = rows.due(now)
    return bool(
        rows.update(
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            next_attempt_at=now + datetime.timedelta(seconds=CLAIM_SECONDS),
        )
    )


def deliver(delivery_id, manual=False, now=None):
    """One attempt of a due delivery (any delivery with ``manual``: "Send again"), at ``now``. Returns its
    status, or None when it was not due (or another worker had it)."""
    now = now or timezone.now()
    if not _claim(delivery_id, now, manual):
        return None
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"wagtail-support/{__version__}",
        "X-Support-Event": delivery.event,
        "X-Support-Delivery": str(delivery.event_id),
        "X-Support-Signature": sign(delivery.webhook.secret, body, time.time()),
    }
    status, excerpt, error = None, "", ""
    try:
        status, excerpt, location = post(delivery.webhook.url, body, headers)
        if 300 <= status < 400:
            error = f"Redirected to {location or '(no Location)'}: redirects are not followed"
        elif not 200 <= status < 300:
            error = f"HTTP {status}"
    except Refused as refused:
        error = str(refused)
    except Exception as failure:  # noqa: BLE001 - a timeout, a reset, a bad port...: recorded, retried later
        error = f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
    return _record_attempt(delivery, now, status, excerpt, error)


def _record_attempt(delivery, now, status, excerpt, error):
    fields = {"response_status": status, "response_excerpt": excerpt, "error": error[:2000]}
    if not error:
        fields.update(status=WebhookDelivery.Status.DELIVERED, next_attempt_at=None)
    else:
        schedule = list(support_settings.WEBHOOK_RETRY_MINUTES)
        if delivery.attempts <= len(schedule):
            wait = datetime.timedelta(minutes=schedule[delivery.attempts - 1])
            fields.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=now + wait)
        else:
            fields.update(status=WebhookDelivery.Status.GAVE_UP, next_attempt_at=None)
        logger.warning("Webhook delivery %s (%s to %s) failed: %s", delivery.pk, delivery.event, delivery.webhook.url, error)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    return fields["status"]


def send_again(delivery):
    """A new attempt of ``delivery`` now, with the same event id (the admin's "Send again"). A failure
    waits for the retry schedule, or gives up when its attempts are spent. Returns its status."""
    return deliver(delivery.pk, manual=True)


def retry_due(now=None, dry_run=False, limit=500):
    """``support_tick``'s step: one attempt of each delivery whose retry is due. Returns how many.

    Once an attempt to a webhook fails, its other due deliveries wait for the next tick: a receiver that
    is down costs one timeout per tick, not one per delivery waiting for it.
    """
    now = now or timezone.now()
    due = list(WebhookDelivery.objects.due(now).order_by("next_attempt_at").values_list("pk", "webhook_id")[:limit])
    if dry_run:
        return len(due)
    attempted, failing = 0, set()
    for pk, webhook_id in due:
        if webhook_id in failing:
            continue
        status = deliver(pk, now=now)
        if status is None:
            continue
        attempted += 1
        if status != WebhookDelivery.Status.DELIVERED:
            failing.add(webhook_id)
    return attempted
