"""The users of the load test, for Locust (started by ``python -m benchmarks.load``).

- ``VisitorUser``: an anonymous visitor. Opens the support page, sends a ticket with one or two
  attachments (a PNG made with Pillow, a text file) and a unique token in its subject, follows the
  redirect to the confirmation (the ticket's reference), reads the ticket's page and answers on it,
  sometimes with a file; comes back later to answer again, sometimes closes the ticket.
- ``AgentUser``: a support agent (``loadagentNN``, made by ``benchmarks.load.seed``). Logs into the
  Wagtail admin, opens the inbox, opens a ticket's workspace, takes the ticket when nobody has it,
  sends a public reply (sometimes waiting for the requester), and resolves some tickets with a
  resolution code and a solution.

Visitors and agents are spread over the web servers of ``LOAD_HOSTS``; a visitor reads its ticket on
another server than the one it sent it to (the session is in the database, shared by both).

Every request, and every submission and reply with its token, reference and files, is written as one
JSON line to ``LOAD_EVENTS`` for the checks of ``benchmarks.load.checks``. The run stops after
``LOAD_MAX_REQUESTS`` requests (Locust's ``--run-time`` bounds its duration).
"""

import io
import itertools
import json
import os
import random
import re
import time
import uuid

import gevent
from locust import HttpUser, between, events, task

HOSTS = [h for h in os.environ.get("LOAD_HOSTS", "http://127.0.0.1:8000").split(",") if h]
EVENTS_PATH = os.environ.get("LOAD_EVENTS", "load-events.jsonl")
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "0") or 0)
AGENTS = int(os.environ.get("LOAD_AGENTS", "10"))
AGENT_PREFIX = os.environ.get("LOAD_AGENT_PREFIX", "loadagent")
AGENT_PASSWORD = os.environ.get("LOAD_AGENT_PASSWORD", "load-agent-password")
SUPPORT_PATH = os.environ.get("LOAD_SUPPORT_PATH", "/support/")
# Every pause of the users is multiplied by this (the smoke test makes them quick).
PACE = float(os.environ.get("LOAD_PACE", "1") or 1)
PAGE_503_MARK = 'data-wagtail-support="database-unavailable"'

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CATEGORY_SELECT_RE = re.compile(r'<select[^>]*\sname="category"[^>]*>(.*?)</select>', re.S)
OPTION_RE = re.compile(r'<option value="(\d+)"')
SUBMITTED_RE = re.compile(r"/submitted/(\d+)/$")
INBOX_TICKET_RE = re.compile(r'href="/admin/support/tickets/(\d+)/"')
# The workspace's one form (its fields are not prefixed).
COMPOSER_VERSION_RE = re.compile(r'name="version" value="(\d+)"')
ASSIGN_SELF_VERSION_RE = re.compile(r'name="assign_self-version" value="(\d+)"')
UNASSIGNED = "Nobody is assigned to this ticket."
RESOLVE_VERSION_RE = COMPOSER_VERSION_RE
RESOLVE_CODES_RE = re.compile(r'<select[^>]*\sname="code"[^>]*>(.*?)</select>', re.S)

KINDS = ["question", "bug", "feature_request", "billing", "technical", "other"]
PRIORITIES = ["low", "normal", "high", "urgent"]

_events = None
_request_count = 0
_stopping = False
_environment = None


def record(kind, **data):
    """One JSON line in the events file (one Locust process writes it)."""
    global _events
    if _events is None:
        _events = open(EVENTS_PATH, "a", buffering=1, encoding="utf-8")
    _events.write(json.dumps({"kind": kind, "t": time.time(), **data}) + "\n")


@events.init.add_listener
def _on_init(environment, **kwargs):
    global _environment
    _environment = environment


@events.request.add_listener
def _on_request(request_type, name, response_time, response_length, response=None, exception=None, start_time=None, **kwargs):
    global _request_count, _stopping
    status = getattr(response, "status_code", 0) or 0
    page503 = False
    if status == 503:
        try:
            page503 = PAGE_503_MARK in response.text
        except Exception:  # noqa: BLE001
            page503 = False
    record(
        "http",
        start=start_time,
        name=name,
        method=request_type,
        status=status,
        ms=round(response_time or 0, 1),
        error="" if exception is None else f"{type(exception).__name__}: {exception}"[:300],
        page503=page503,
        retry_after=(response.headers.get("Retry-After", "") if status == 503 and response is not None else ""),
    )
    _request_count += 1
    if MAX_REQUESTS and _request_count >= MAX_REQUESTS and not _stopping and _environment is not None:
        _stopping = True
        record("cap", requests=_request_count)
        gevent.spawn(_environment.runner.quit)


_host_counter = itertools.count()
_agent_counter = itertools.count(1)


def pause(low, high):
    """A person's pause: reading a page, typing."""
    gevent.sleep(random.uniform(low, high) * PACE)


def other_host(host):
    others = [h for h in HOSTS if h != host]
    return random.choice(others) if others else host


def png_bytes(token):
    """A small PNG that Pillow can verify (attachments are checked on their content)."""
    from PIL import Image

    size = (random.randint(8, 64), random.randint(8, 64))
    image = Image.new("RGB", size, tuple(random.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def text_bytes(token):
    lines = [f"Log line {i} of {token}: status={random.randint(100, 599)}" for i in range(random.randint(3, 60))]
    return ("\n".join(lines) + "\n").encode()


def make_attachments(token, count):
    files = []
    for i in range(count):
        if random.random() < 0.5:
            name, content, mime = f"screenshot-{token}-{i + 1}.png", png_bytes(token), "image/png"
        else:
            name, content, mime = f"notes-{token}-{i + 1}.txt", text_bytes(token), "text/plain"
        files.append((name, content, mime))
    return files


def csrf_from(html):
    match = CSRF_RE.search(html or "")
    return match.group(1) if match else ""


def classify(response, ok_statuses):
    """Mark a ``catch_response`` response: the statuses of ``ok_statuses`` pass, the rest fail."""
    status = response.status_code
    if status in ok_statuses:
        response.success()
        return True
    if status == 503:
        response.failure("503 (database unavailable)" if PAGE_503_MARK in (response.text or "") else "503 without the page")
    elif status == 0:
        response.failure(f"no answer: {getattr(response, 'error', '')}")
    else:
        response.failure(f"unexpected status {status}")
    return False


class SpreadUser(HttpUser):
    """A user of one of the web servers, in turn."""

    abstract = True

    def __init__(self, environment):
        self.host = HOSTS[next(_host_counter) % len(HOSTS)]
        super().__init__(environment)


class VisitorUser(SpreadUser):
    weight = 1
    # A person: a few seconds between two visits, a second or two to read a page or type a line.
    wait_time = between(4 * PACE, 10 * PACE)

    def on_start(self):
        self.tickets = []  # (number, host) of this visitor's tickets, in the session

    def think(self, low=1, high=3):
        pause(low, high)

    @task(3)
    def new_ticket(self):
        with self.client.get(SUPPORT_PATH, name="visitor: support page", catch_response=True) as response:
            if not classify(response, {200}):
                return
            html = response.text
        self.think()
        token = uuid.uuid4().hex[:16]
        categories = []
        select = CATEGORY_SELECT_RE.search(html)
        if select:
            categories = OPTION_RE.findall(select.group(1))
        data = {
            "csrfmiddlewaretoken": csrf_from(html),
            "name": f"Visitor {token[:6]}",
            "email": f"visitor-{token}@load.example.org",
            "subject": f"Load test {token}: the export does not finish",
            "description": f"Ticket {token}.\nThe export stops at {random.randint(1, 99)}% with an error.",
            "kind": random.choice(KINDS),
            "priority": random.choice(PRIORITIES),
            "category": random.choice(categories + [""]) if categories else "",
            "came_from": "",
            "website": "",
        }
        files = make_attachments(token, random.choice([1, 1, 2]))
        attachments = [[name, len(content)] for name, content, _mime in files]
        record("submit_attempt", token=token, host=self.host)
        with self.client.post(
            SUPPORT_PATH,
            data=data,
            files=[("attachments", (name, content, mime)) for name, content, mime in files],
            allow_redirects=False,
            name="visitor: submit ticket",
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            match = SUBMITTED_RE.search(location)
            ok = response.status_code == 302 and match is not None
            if ok:
                response.success()
            elif response.status_code == 302:
                response.failure(f"redirected to {location}")
            else:
                classify(response, set())
        record(
            "submit",
            token=token,
            status=response.status_code,
            reference=int(match.group(1)) if ok else None,
            attachments=attachments,
            host=self.host,
        )
        if not ok:
            return
        number = int(match.group(1))
        host = other_host(self.host)
        self.tickets.append((number, host))
        with self.client.get(f"{host}{location}", name="visitor: confirmation", catch_response=True) as response:
            classify(response, {200})
        self.think()
        if random.random() < 0.6:
            self.answer(number, host)

    @task(2)
    def follow_up(self):
        if not self.tickets:
            return
        number, host = random.choice(self.tickets)
        self.answer(number, host, close=random.random() < 0.15)

    def answer(self, number, host, close=False):
        path = f"{SUPPORT_PATH}tickets/{number}/"
        with self.client.get(f"{host}{path}", name="visitor: ticket page", catch_response=True) as response:
            if not classify(response, {200}):
                return
            html = response.text
        self.think(2, 5)
        token = uuid.uuid4().hex[:16]
        files = make_attachments(token, 1) if random.random() < 0.3 else []
        data = {"csrfmiddlewaretoken": csrf_from(html), "body": f"Reply {token}: here is more detail.", "website": ""}
        with self.client.post(
            f"{host}{path}reply/",
            data=data,
            files=[("attachments", (name, content, mime)) for name, content, mime in files] or None,
            allow_redirects=False,
            name="visitor: reply",
            catch_response=True,
        ) as response:
            ok = classify(response, {302})
        record(
            "reply",
            token=token,
            reference=number,
            status=response.status_code,
            attachments=[[name, len(content)] for name, content, _mime in files],
        )
        if ok and close:
            self.think()
            with self.client.post(
                f"{host}{path}close/",
                data={"csrfmiddlewaretoken": csrf_from(html)},
                allow_redirects=False,
                name="visitor: close ticket",
                catch_response=True,
            ) as response:
                classify(response, {302})


class AgentUser(SpreadUser):
    fixed_count = AGENTS
    wait_time = between(3 * PACE, 8 * PACE)

    def on_start(self):
        self.username = f"{AGENT_PREFIX}{next(_agent_counter):02d}"
        self.logged_in = False
        self.login()

    def login(self):
        with self.client.get("/admin/login/", name="agent: login page", catch_response=True) as response:
            if not classify(response, {200}):
                return
            token = csrf_from(response.text)
        with self.client.post(
            "/admin/login/",
            data={"csrfmiddlewaretoken": token, "username": self.username, "password": AGENT_PASSWORD, "next": "/admin/"},
            allow_redirects=False,
            name="agent: log in",
            catch_response=True,
        ) as response:
            self.logged_in = classify(response, {302})

    def workspace(self, pk):
        with self.client.get(f"/admin/support/tickets/{pk}/", name="agent: workspace", catch_response=True) as response:
            if not classify(response, {200}):
                return None
            return response.text

    @task
    def work(self):
        if not self.logged_in:
            self.login()
            return
        with self.client.get("/admin/support/tickets/?status=open", name="agent: inbox", catch_response=True) as response:
            if not classify(response, {200}):
                return
            pks = list(dict.fromkeys(INBOX_TICKET_RE.findall(response.text)))
        if not pks:
            return
        pk = random.choice(pks[:20])
        pause(1, 3)
        html = self.workspace(pk)
        if html is None:
            return
        take = ASSIGN_SELF_VERSION_RE.search(html)
        if UNASSIGNED in html and take is not None:
            # An unassigned ticket: take it first (its requester's answers then come to this agent only).
            with self.client.post(
                f"/admin/support/tickets/{pk}/assign_self/",
                data={"csrfmiddlewaretoken": csrf_from(html), "assign_self-version": take.group(1), "show": "all"},
                allow_redirects=False,
                name="agent: take ticket",
                catch_response=True,
            ) as response:
                if not classify(response, {302, 400, 409}):
                    return
            html = self.workspace(pk)
            if html is None:
                return
        version = COMPOSER_VERSION_RE.search(html)
        if version is None:
            return
        pause(3, 8)
        token = uuid.uuid4().hex[:16]
        data = {
            "csrfmiddlewaretoken": csrf_from(html),
            "version": version.group(1),
            "body": f"Answer {token}: please try again now.",
            "then": "open",
            "show": "all",
        }
        if random.random() < 0.25:
            data["then"] = "pending"
        with self.client.post(
            f"/admin/support/tickets/{pk}/submit/",
            data=data,
            allow_redirects=False,
            name="agent: reply",
            catch_response=True,
        ) as response:
            # 409: another agent changed the ticket meanwhile; 400: refused (a ticket closed meanwhile).
            ok = classify(response, {302, 400, 409})
        record("agent_reply", token=token, ticket=int(pk), status=response.status_code, agent=self.username)
        if not ok or response.status_code != 302 or random.random() >= 0.35:
            return
        html = self.workspace(pk)
        if html is None:
            return
        version = RESOLVE_VERSION_RE.search(html)
        select = RESOLVE_CODES_RE.search(html)
        codes = OPTION_RE.findall(select.group(1)) if select else []
        if version is None or not codes:
            return
        pause(2, 5)
        with self.client.post(
            f"/admin/support/tickets/{pk}/submit/",
            data={
                "csrfmiddlewaretoken": csrf_from(html),
                "version": version.group(1),
                "then": "resolve",
                "code": random.choice(codes),
                "solution": f"Solved ({token}): the export works again.",
                "show": "all",
            },
            allow_redirects=False,
            name="agent: resolve",
            catch_response=True,
        ) as response:
            classify(response, {302, 400, 409})
        record("resolve", token=token, ticket=int(pk), status=response.status_code, agent=self.username)
