"""The checks of the load test, after the run, against the database, the events Locust wrote and the sink.

Each check returns ``{"name", "passed", "summary", "figures"}``. Django must be set up with the load
settings on the run's database (``benchmarks.load.run`` does it).
"""

import json
import os
import re
from collections import Counter, defaultdict

SUBJECT_TOKEN = re.compile(r"^Load test ([0-9a-f]{16}):")
BODY_TOKEN = re.compile(r"^(?:Reply|Answer) ([0-9a-f]{16}):")
SUCCESS = {200, 201, 204, 301, 302, 303, 304}
# After PostgreSQL is accepting connections again, requests still in flight may end with a 503.
RECOVERY_GRACE = 5.0


def read_jsonl(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def check(name, passed, summary, **figures):
    return {"name": name, "passed": bool(passed), "summary": summary, "figures": figures}


def _sample(items, n=5):
    items = list(items)
    return items[:n]


# HTTP -------------------------------------------------------------------------------------------------------


def postgres_window(timeline):
    """(start, end) of the PostgreSQL restart, with the grace for requests in flight, or ``None``."""
    start = timeline.get("postgres_restart_started")
    ready = timeline.get("postgres_ready")
    if start is None:
        return None
    return start, (ready if ready is not None else start + 60) + RECOVERY_GRACE


def check_http(http, timeline):
    window = postgres_window(timeline)

    def in_window(row):
        end = row["start"] + row["ms"] / 1000.0
        return window is not None and window[0] - 0.5 <= end <= window[1]

    statuses = Counter(row["status"] for row in http)
    server_errors = [row for row in http if row["status"] >= 500]
    allowed_503 = [row for row in server_errors if row["status"] == 503 and row.get("page503") and in_window(row)]
    bad = [row for row in server_errors if row not in allowed_503]
    no_answer = [row for row in http if row["status"] == 0]
    passed = not bad and not no_answer
    summary = (
        f"{len(http)} requests; 5xx: {len(server_errors)} "
        f"({len(allowed_503)} x 503 page during the PostgreSQL restart, {len(bad)} other); "
        f"no answer: {len(no_answer)}"
    )
    return check(
        "no server errors",
        passed,
        summary,
        statuses={str(k): v for k, v in sorted(statuses.items())},
        status_500=statuses.get(500, 0),
        status_503_in_restart=len(allowed_503),
        unexpected=[{k: r.get(k) for k in ("name", "status", "error", "start")} for r in _sample(bad + no_answer, 10)],
        retry_after=sorted({r.get("retry_after", "") for r in allowed_503}),
    )


# Tickets ----------------------------------------------------------------------------------------------------


def _tickets_by_token():
    from wagtail_support.models import Ticket

    found = defaultdict(list)
    for pk, number, subject in Ticket.objects.filter(subject__startswith="Load test ").values_list("pk", "number", "subject"):
        match = SUBJECT_TOKEN.match(subject)
        if match:
            found[match.group(1)].append((pk, number))
    return found


def _first_messages(ticket_pks):
    """ticket pk -> its first message (pk, body, role, visibility) and attachments [(name, size)]."""
    from wagtail_support.models import Attachment, Message

    first = {}
    for message in Message.objects.filter(ticket_id__in=ticket_pks).order_by("ticket_id", "created_at", "pk"):
        first.setdefault(message.ticket_id, message)
    files = defaultdict(list)
    for message_id, name, size in Attachment.objects.filter(message_id__in=[m.pk for m in first.values()]).values_list(
        "message_id", "filename", "size"
    ):
        files[message_id].append([name, size])
    return {pk: (m, sorted(files[m.pk])) for pk, m in first.items()}


def check_submissions(events):
    attempts = {e["token"] for e in events if e["kind"] == "submit_attempt"}
    answered = {e["token"]: e for e in events if e["kind"] == "submit" and e.get("reference")}
    by_token = _tickets_by_token()
    first = _first_messages([pk for tickets in by_token.values() for pk, _n in tickets])
    problems = []
    for token, event in answered.items():
        tickets = by_token.get(token, [])
        if len(tickets) != 1:
            problems.append(f"{token}: {len(tickets)} tickets in the database")
            continue
        pk, number = tickets[0]
        if number != event["reference"]:
            problems.append(f"{token}: answered #{event['reference']}, stored as #{number}")
        message, files = first.get(pk, (None, []))
        if message is None or token not in message.body:
            problems.append(f"{token}: the first message is missing")
        elif files != sorted(event["attachments"]):
            problems.append(f"{token}: attachments {files} instead of {sorted(event['attachments'])}")
    unanswered = attempts - set(answered)
    unanswered_stored = [t for t in unanswered if by_token.get(t)]
    twice = [t for t in unanswered if len(by_token.get(t, [])) > 1]
    problems += [f"{t}: an unanswered submission stored {len(by_token[t])} times" for t in twice]
    unknown = [t for t in by_token if t not in attempts]
    problems += [f"{t}: a ticket nobody sent" for t in unknown]
    attachments = sum(len(e["attachments"]) for e in answered.values())
    summary = (
        f"{len(answered)} submissions answered with a reference, each stored once with its "
        f"{attachments} attachments" if not problems else f"{len(problems)} problems: {'; '.join(problems[:3])}"
    )
    summary += f"; {len(unanswered)} not answered (503 or cut at the end), {len(unanswered_stored)} of them stored, none twice"
    return check(
        "submissions stored once with their attachments",
        not problems and len(answered) > 0,
        summary,
        answered=len(answered),
        attachments=attachments,
        unanswered=len(unanswered),
        unanswered_stored=len(unanswered_stored),
        problems=problems[:20],
    )


def check_references(events):
    from django.db.models import Count

    from wagtail_support.models import Ticket

    answered = [e for e in events if e["kind"] == "submit" and e.get("reference")]
    references = Counter(e["reference"] for e in answered)
    given_twice = {r: n for r, n in references.items() if n > 1}
    stored_twice = list(Ticket.objects.values("number").annotate(n=Count("pk")).filter(n__gt=1).values_list("number", flat=True))
    passed = not given_twice and not stored_twice
    return check(
        "references unique",
        passed,
        f"{len(references)} references handed out, {len(given_twice)} handed out twice, "
        f"{len(stored_twice)} stored twice",
        references=len(references),
        handed_out_twice=len(given_twice),
        stored_twice=len(stored_twice),
    )


def check_whole_tickets(attachments_root):
    """No half-written ticket: each has its first message and its confirmation record; files and rows agree."""
    from django.db.models import Count, Exists, OuterRef

    from wagtail_support.models import Attachment, Message, OutboundMail, Ticket

    tickets = Ticket.objects.filter(subject__startswith="Load test ")
    total = tickets.count()
    without_message = list(tickets.annotate(n=Count("messages")).filter(n=0).values_list("number", flat=True))
    opened_mail = OutboundMail.objects.filter(ticket=OuterRef("pk"), event="opened", recipient__iexact=OuterRef("requester_email"))
    without_confirmation = list(tickets.annotate(ok=Exists(opened_mail)).filter(ok=False).values_list("number", flat=True))
    first_not_requester = []
    seen = set()
    for ticket_id, role in (
        Message.objects.filter(ticket__in=tickets).order_by("ticket_id", "created_at", "pk").values_list("ticket_id", "author_role")
    ):
        if ticket_id not in seen:
            seen.add(ticket_id)
            if role != Message.AuthorRole.REQUESTER:
                first_not_requester.append(ticket_id)
    missing_files, wrong_size, names = [], [], set()
    for attachment in Attachment.objects.all().only("pk", "file", "size"):
        names.add(attachment.file.name)
        path = os.path.join(attachments_root, attachment.file.name)
        if not os.path.exists(path):
            missing_files.append(attachment.pk)
        elif os.path.getsize(path) != attachment.size:
            wrong_size.append(attachment.pk)
    orphans = []
    for directory, _dirs, files in os.walk(attachments_root):
        for filename in files:
            name = os.path.relpath(os.path.join(directory, filename), attachments_root)
            if name not in names:
                orphans.append(name)
    problems = len(without_message) + len(without_confirmation) + len(first_not_requester) + len(missing_files) + len(wrong_size)
    summary = (
        f"{total} tickets: {len(without_message)} without their first message, {len(without_confirmation)} without "
        f"the record of their confirmation mail; {len(names)} attachments: {len(missing_files)} without their file, "
        f"{len(wrong_size)} of another size; {len(orphans)} files without their row"
    )
    return check(
        "no half-written ticket",
        problems == 0 and not orphans,
        summary,
        tickets=total,
        without_message=without_message[:20],
        without_confirmation_record=without_confirmation[:20],
        first_message_not_the_requesters=first_not_requester[:20],
        attachments=len(names),
        files_missing=missing_files[:20],
        files_wrong_size=wrong_size[:20],
        orphan_files=orphans[:20],
        orphan_file_count=len(orphans),
    )


def check_replies(events):
    from wagtail_support.models import Attachment, Message

    found = defaultdict(list)
    for message in Message.objects.filter(body__regex=r"^(Reply|Answer) [0-9a-f]{16}:").select_related("ticket"):
        match = BODY_TOKEN.match(message.body)
        if match:
            found[match.group(1)].append(message)
    files = defaultdict(list)
    for message_id, name, size in Attachment.objects.filter(
        message_id__in=[m.pk for ms in found.values() for m in ms]
    ).values_list("message_id", "filename", "size"):
        files[message_id].append([name, size])
    problems = []
    visitor = [e for e in events if e["kind"] == "reply"]
    agent = [e for e in events if e["kind"] == "agent_reply"]
    visitor_ok = [e for e in visitor if e["status"] == 302]
    agent_ok = [e for e in agent if e["status"] == 302]
    for e in visitor_ok:
        messages = found.get(e["token"], [])
        if len(messages) != 1:
            problems.append(f"visitor reply {e['token']}: {len(messages)} messages")
            continue
        m = messages[0]
        if m.ticket.number != e["reference"] or m.author_role != Message.AuthorRole.REQUESTER or m.is_internal:
            problems.append(f"visitor reply {e['token']}: on #{m.ticket.number} as {m.author_role}")
        if sorted(files[m.pk]) != sorted(e["attachments"]):
            problems.append(f"visitor reply {e['token']}: attachments {files[m.pk]}")
    for e in agent_ok:
        messages = found.get(e["token"], [])
        if len(messages) != 1:
            problems.append(f"agent reply {e['token']}: {len(messages)} messages")
            continue
        m = messages[0]
        if m.ticket_id != e["ticket"] or m.author_role != Message.AuthorRole.AGENT or m.is_internal:
            problems.append(f"agent reply {e['token']}: on ticket {m.ticket_id} as {m.author_role}")
    refused = [e for e in visitor + agent if e["status"] != 302]
    refused_twice = [e["token"] for e in refused if len(found.get(e["token"], [])) > 1]
    problems += [f"{t}: a reply that was not answered is stored twice" for t in refused_twice]
    statuses = Counter(f"{e['kind']}:{e['status']}" for e in visitor + agent)
    summary = (
        f"{len(visitor_ok)} visitor replies and {len(agent_ok)} agent replies answered, each stored once"
        if not problems
        else f"{len(problems)} problems: {'; '.join(problems[:3])}"
    )
    return check(
        "replies stored once",
        not problems,
        summary,
        visitor_replies=len(visitor_ok),
        agent_replies=len(agent_ok),
        statuses=dict(sorted(statuses.items())),
        problems=problems[:20],
    )


# Mail -------------------------------------------------------------------------------------------------------


def _mail_records():
    from wagtail_support.models import OutboundMail

    return {
        row["internet_message_id"]: row
        for row in OutboundMail.objects.values(
            "pk", "internet_message_id", "status", "attempts", "event", "created_at", "sent_at", "error", "message_id", "ticket_id"
        )
    }


def check_mail(sink):
    records = _mail_records()
    accepted = [row for row in sink if not row.get("refused")]
    counts = Counter(row["message_id"] for row in accepted)
    statuses = Counter(r["status"] for r in records.values())
    not_sent = [r for r in records.values() if r["status"] != "sent"]
    twice = {mid: n for mid, n in counts.items() if n > 1}
    missing = [mid for mid in records if counts[mid] == 0]
    unknown = [mid for mid in counts if mid not in records]
    wrong_id = [
        row["message_id"]
        for row in accepted
        if row["message_id"] in records and str(records[row["message_id"]]["pk"]) != str(row.get("support_mail"))
    ]
    passed = records and not not_sent and not twice and not missing and not unknown and not wrong_id
    summary = (
        f"{len(records)} mails recorded, {statuses.get('sent', 0)} sent; the sink holds {len(accepted)}: "
        f"{len(twice)} twice, {len(missing)} missing, {len(unknown)} unknown"
    )
    return check(
        "every mail sent exactly once",
        passed,
        summary,
        recorded=len(records),
        statuses=dict(statuses),
        sink_accepted=len(accepted),
        sink_refused=len(sink) - len(accepted),
        sent_twice=_sample(twice, 10),
        never_sent=_sample(missing, 10),
        unknown_in_sink=_sample(unknown, 10),
        not_sent=[{k: r[k] for k in ("pk", "status", "event", "attempts", "error")} for r in not_sent[:10]],
        mismatched_record_id=_sample(wrong_id, 10),
    )


def check_mail_asked_for():
    """Each move that asks for a mail has its record: confirmations, agent replies, requester replies, resolutions."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Exists, OuterRef
    from wagtail.models import ModelLogEntry

    from wagtail_support.models import Message, OutboundMail, Ticket

    messages = Message.objects.filter(ticket__subject__startswith="Load test ")
    agent_replies = messages.filter(author_role=Message.AuthorRole.AGENT, visibility=Message.Visibility.PUBLIC)
    to_requester = OutboundMail.objects.filter(
        message=OuterRef("pk"), event="agent_reply", recipient__iexact=OuterRef("ticket__requester_email")
    )
    agent_missing = agent_replies.annotate(ok=Exists(to_requester)).filter(ok=False).count()
    first_ids = set()
    seen = set()
    for pk, ticket_id in messages.order_by("ticket_id", "created_at", "pk").values_list("pk", "ticket_id"):
        if ticket_id not in seen:
            seen.add(ticket_id)
            first_ids.add(pk)
    requester_replies = messages.filter(author_role=Message.AuthorRole.REQUESTER).exclude(pk__in=first_ids)
    to_team = OutboundMail.objects.filter(message=OuterRef("pk"), event="requester_reply")
    requester_missing = requester_replies.annotate(ok=Exists(to_team)).filter(ok=False).count()
    ticket_type = ContentType.objects.get_for_model(Ticket)
    resolves = ModelLogEntry.objects.filter(content_type=ticket_type, action="wagtail_support.ticket.resolve").count()
    resolved_mails = OutboundMail.objects.filter(event="resolved").count()
    passed = agent_missing == 0 and requester_missing == 0 and resolves == resolved_mails
    return check(
        "every mail asked for is recorded",
        passed,
        f"{agent_replies.count()} agent replies ({agent_missing} without their mail), {requester_replies.count()} "
        f"requester replies ({requester_missing} without), {resolves} resolutions / {resolved_mails} resolution mails",
        agent_replies=agent_replies.count(),
        agent_replies_without_mail=agent_missing,
        requester_replies=requester_replies.count(),
        requester_replies_without_mail=requester_missing,
        resolutions=resolves,
        resolution_mails=resolved_mails,
    )


def _at(value):
    return value.timestamp() if value is not None else None


def check_worker_outage(timeline, sink):
    stopped, started = timeline.get("worker_stopped"), timeline.get("worker_started")
    if stopped is None or started is None:
        return check("mail worker stopped and restarted", False, "the fault did not happen", skipped=True)
    records = _mail_records()
    waited = [r for r in records.values() if stopped <= _at(r["created_at"]) <= started]
    sent_after = [r for r in waited if r["status"] == "sent" and _at(r["sent_at"]) >= started]
    accepted = Counter(row["message_id"] for row in sink if not row.get("refused"))
    once = [r for r in waited if accepted[r["internet_message_id"]] == 1]
    passed = waited and len(sent_after) == len(waited) and len(once) == len(waited)
    return check(
        "mail worker stopped and restarted",
        passed,
        f"{len(waited)} mails queued during the {started - stopped:.1f}s outage; {len(sent_after)} sent after the "
        f"restart, {len(once)} of them exactly once" + ("" if waited else " (no mail queued: not shown)"),
        outage_seconds=round(started - stopped, 1),
        queued_during_outage=len(waited),
        sent_after_restart=len(sent_after),
        sent_once=len(once),
        drained_seconds=round(max((_at(r["sent_at"]) for r in sent_after), default=started) - started, 1),
    )


def check_esp_outage(timeline, sink):
    down, up = timeline.get("esp_down"), timeline.get("esp_up")
    if down is None:
        return check("ESP failing, then retried", False, "the fault did not happen", skipped=True)
    records = _mail_records()
    refused = {row["message_id"] for row in sink if row.get("refused")}
    accepted = Counter(row["message_id"] for row in sink if not row.get("refused"))
    retried = [records[m] for m in refused if m in records]
    ok = [r for r in retried if r["status"] == "sent" and r["attempts"] >= 2 and accepted[r["internet_message_id"]] == 1]
    attempts = Counter(r["attempts"] for r in retried)
    passed = refused and len(ok) == len(refused)
    return check(
        "ESP failing, then retried",
        passed,
        f"{len(refused)} mails refused by the ESP during the {(up or down) - down:.1f}s outage (recorded as failed); "
        f"{len(ok)} of them sent once by the retry" + ("" if refused else " (no mail refused: not shown)"),
        outage_seconds=round((up or down) - down, 1),
        refused=len(refused),
        retried_and_sent_once=len(ok),
        attempts={str(k): v for k, v in sorted(attempts.items())},
    )


def check_postgres(timeline, http, restarts):
    started, ready = timeline.get("postgres_restart_started"), timeline.get("postgres_ready")
    if started is None:
        return check("PostgreSQL restarted, the site recovers", False, "the fault did not happen", skipped=True)
    window = postgres_window(timeline)
    after = [r for r in http if r["start"] > window[1]]
    ok_after = [r for r in after if r["status"] in SUCCESS]
    first_ok = min((r["start"] + r["ms"] / 1000 for r in http if ready and r["start"] >= ready and r["status"] in SUCCESS), default=None)
    errors_503 = [r for r in http if r["status"] == 503]
    failed_after = [r for r in after if r["status"] >= 500 or r["status"] == 0]
    passed = ready is not None and timeline.get("postgres_restart_rc") == 0 and ok_after and not failed_after
    worker_restarts = [r for r in restarts if r["process"].startswith("mail-worker")]
    return check(
        "PostgreSQL restarted, the site recovers",
        passed,
        f"down {ready - started if ready else float('nan'):.1f}s; {len(errors_503)} requests answered 503; "
        f"first success {first_ok - ready if first_ok and ready else float('nan'):.1f}s after it was back; "
        f"{len(after)} requests after, {len(ok_after)} of them answered, {len(failed_after)} failed; "
        f"mail workers restarted {len(worker_restarts)} times",
        down_seconds=round(ready - started, 2) if ready else None,
        answered_503=len(errors_503),
        first_success_after_seconds=round(first_ok - ready, 2) if first_ok and ready else None,
        requests_after=len(after),
        failed_after=len(failed_after),
        worker_restarts=len(worker_restarts),
    )


def run_checks(*, events_path, sink_path, attachments_root, timeline, faults, restarts):
    events = read_jsonl(events_path)
    sink = read_jsonl(sink_path)
    http = [e for e in events if e["kind"] == "http"]
    results = [
        check_http(http, timeline),
        check_submissions(events),
        check_references(events),
        check_whole_tickets(attachments_root),
        check_replies(events),
        check_mail(sink),
        check_mail_asked_for(),
    ]
    if "worker" in faults:
        results.append(check_worker_outage(timeline, sink))
    if "esp" in faults:
        results.append(check_esp_outage(timeline, sink))
    if "postgres" in faults:
        results.append(check_postgres(timeline, http, restarts))
    return results, http
