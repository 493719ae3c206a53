"""`support_tick` over 100,000 open tickets on PostgreSQL: its time and its queries per batch.

    python -m benchmarks.tick_bench [--tickets 100000] [--batch-size 500] [--database-url postgres://...]

The database (``DATABASE_URL``'s name + ``_tick``, default ``wagtail_support_bench_tick``) is created
again and migrated on each run; the tickets are written with ``bulk_create`` (no workflow), all open or
pending and all under one active policy. Mail is recorded but not sent (``example_site.settings.bench``:
the task backend keeps the tasks). Three measurements:

- **nothing due**: four fifths open with a due time tomorrow, one fifth pending since yesterday;
- **everything late, already done**: every ticket past its due time, its breach mailed by an earlier run
  (the worst steady state: every ticket is read, in batches, and nothing is done);
- **1,000 steps due**: 500 reminders and 500 breaches to do, each a workflow move with its mail records.

For each: the time, the queries, the batches read and the queries per batch (the budget of the issue:
under 10 s at 100,000 tickets, and a fixed number of queries per batch).
"""

import argparse
import datetime
import os
import sys
import time
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wagtail_support_bench"


def _database(url, name):
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _recreate(url):
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args(argv)
    base = urlsplit(args.database_url).path.lstrip("/") or "wagtail_support_bench"
    url = _database(args.database_url, f"{base}_tick")
    _recreate(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_site.settings.bench")

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    rows = measure(args.tickets, args.batch_size)
    print(f"support_tick over {args.tickets:,} open tickets (batch size {args.batch_size}), PostgreSQL")
    print(f"{'measurement':<34} {'time':>8} {'queries':>8} {'batches':>8} {'q/batch':>8} {'steps':>6}")
    for row in rows:
        print(
            f"{row['name']:<34} {row['seconds']:>7.2f}s {row['queries']:>8} {row['batches']:>8} "
            f"{row['per_batch']:>8} {row['steps']:>6}"
        )
    return 0


def measure(tickets, batch_size):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from wagtail_support.automation import tick
    from wagtail_support.models import AutomationStep, ServiceLevelPolicy, Team, Ticket

    now = timezone.now()
    team = Team.objects.create(name="Bench", slug="bench")
    policy = ServiceLevelPolicy.objects.create(
        name="Bench", priority=Ticket.Priority.NORMAL, first_response_minutes=240, warn_before_minutes=30,
        remind_after_days=3, second_reminder_after_days=6, close_after_days=10,
    )  # fmt: skip
    pending_every = 5
    chunk = []
    for number in range(1, tickets + 1):
        pending = number % pending_every == 0
        chunk.append(
            Ticket(
                number=number,
                subject=f"Bench ticket {number}",
                description="Bench.",
                team=team,
                requester_email=f"requester{number % 5000}@example.com",
                status=Ticket.Status.PENDING if pending else Ticket.Status.OPEN,
                sla_policy=policy,
                pending_since=now - datetime.timedelta(days=1) if pending else None,
                next_due=None if pending else now + datetime.timedelta(days=1),
            )
        )
        if len(chunk) == 5000:
            Ticket.objects.bulk_create(chunk)
            chunk = []
    if chunk:
        Ticket.objects.bulk_create(chunk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    def one(name):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = tick(now=now, batch_size=batch_size)
            seconds = time.perf_counter() - started
        steps = result.total
        per_batch = round((len(queries) - 1) / result.batches, 2) if result.batches and not steps else "-"
        return {"name": name, "seconds": seconds, "queries": len(queries), "batches": result.batches,
                "per_batch": per_batch, "steps": steps}  # fmt: skip

    rows = [one("nothing due")]

    # Every ticket late, its breach done by an earlier run: every one read, nothing done.
    late = now - datetime.timedelta(hours=1)
    # As the breach's move leaves it: its step row, and the ticket marked (``next_due_step``).
    Ticket.objects.update(next_due=late, pending_since=None, status=Ticket.Status.OPEN, next_due_step="sla_breach")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AutomationStep._meta.db_table} (ticket_id, step, key, done_at) "
            f"SELECT id, 'sla_breach', %s, %s FROM {Ticket._meta.db_table}",
            [late.isoformat(), now],
        )
        cursor.execute("ANALYZE")
    rows.append(one("everything late, already done"))

    # 1,000 steps to do: 500 reminders (pending for 4 days) and 500 breaches (a new due time).
    ids = list(Ticket.objects.order_by("pk").values_list("pk", flat=True)[:1000])
    Ticket.objects.filter(pk__in=ids[:500]).update(
        status=Ticket.Status.PENDING, pending_since=now - datetime.timedelta(days=4), next_due=None
    )
    # A new due time clears the mark, as ``service_levels.refresh`` does when a move sets one.
    Ticket.objects.filter(pk__in=ids[500:]).update(next_due=late - datetime.timedelta(minutes=1), next_due_step="")
    rows.append(one("1,000 steps due"))
    return rows


if __name__ == "__main__":
    sys.exit(main())
