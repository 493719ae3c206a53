"""Fill the database with a helpdesk's years of history, fast: rows are streamed with COPY on PostgreSQL
(``executemany`` on SQLite, for the smoke test), never saved one by one through the ORM.

The shape (for ``tickets`` = N):

- 20 teams, 200 agents (10 per team, a fifth of them in a second team), 3 service catalog entries per
  team, 20,000 requesters with accounts and 5,000 more people who write in without one.
- Tickets arrive at a steady rate over up to three years. The backlog (open or pending) is ``backlog``
  of the tickets (20% by default, as real desks carry; the benchmark also measures 70%): the younger a
  ticket, the likelier it is still open, with a few stale old ones (``_open_chance``); everything else
  is closed, with a resolution code, a solution, an assignee and a closing date.
- Teams and requesters are skewed (Zipf): a few teams get most tickets, and "bench-heavy" has
  min(2,000, N/2) tickets, a few others about a thousand, most one or two.
- What the reports read, as the workflow records it: the time to the first response and to the closing
  (clock seconds), whether the targets were met for the four tickets in five that have a service level
  (first response within 8 hours, resolution within 72), and the requesters' ratings: about 30% of the
  closed tickets rated, 85% of them good, each with its ``SatisfactionRating`` row (drawn from a random
  generator of their own, so the rest of the data is the same as without them).
- About 10 messages per ticket (the requester's description first, then requester and agent in turn,
  a fifth of the agent's messages internal notes), a few tickets with hundreds, and "bench-big" (the
  ticket page scenario) with exactly 500. About 8% of messages carry one or two attachment rows (rows
  only: no file is written), every public agent reply has its mail record, every ticket its history
  entries.

Everything is drawn from ``random.Random(seed)``: the same arguments give the same database.
"""

import contextlib
import datetime
import json
import random
import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from wagtail.models import Locale

from wagtail_support import groups

from . import DEFAULT_BACKLOG, GENERATOR_VERSION
from wagtail_support.conf import support_settings
from wagtail_support.models import (
    Attachment,
    Category,
    Message,
    OutboundMail,
    SatisfactionRating,
    ResolutionCode,
    Team,
    Ticket,
    TicketReferenceCounter,
)
from wagtail_support.models.tickets import ASSIGNEE_SORT_SEPARATOR

TEAMS = 20
AGENTS_PER_TEAM = 10
REQUESTERS = 20_000
ANONYMOUS_PEOPLE = 5_000
BIG_TICKET_MESSAGES = 500
HEAVY_REQUESTER_TICKETS = 2_000
#: The 500-message ticket was closed at least this many days ago (or right after its opening, if younger).
BIG_TICKET_CLOSED_DAYS = 21
# The service level targets of the generated tickets (four in five have them), and the ratings.
FIRST_RESPONSE_TARGET = 8 * 3600
RESOLUTION_TARGET = 72 * 3600
RATED_SHARE = 0.3
GOOD_SHARE = 0.85
PASSWORD = "bench-password"

#: The named rows the scenarios use.
BENCH_AGENT = "bench-agent"
BENCH_SUPERVISOR = "bench-supervisor"
BENCH_HEAVY = "bench-heavy"
BIG_TICKET_SUBJECT = "bench-big: a long conversation"
#: A subject word found in about 1% of tickets, and the requester searched by address.
SEARCH_WORD = "invoice"

WORDS = (
    "login password account invoice payment refund order delivery shipping export import page editor image "
    "document upload download error crash slow timeout search filter report dashboard email newsletter form "
    "subscription renewal licence access permission group user profile language translation mobile browser "
    "calendar booking event ticket contact address phone billing receipt tax discount coupon cart checkout "
    "sync backup restore migration database server domain certificate redirect menu footer header video "
    "audio map widget plugin theme font colour layout print pdf spreadsheet csv api token webhook"
).split()
SUBJECT_TEMPLATES = [
    "Cannot {a} after the {b} update",
    "{a} does not work on {b}",
    "Question about {a} and {b}",
    "Problem with my {a}",
    "{a}: {b} missing since yesterday",
    "Request: {a} for {b}",
    "Wrong {a} on the {b} page",
    "How do I change the {a}?",
]
SENTENCES = [
    "Hello, I have been trying to get this to work since this morning without success.",
    "The page shows an error message and nothing else happens when I click the button.",
    "Could you tell me whether this is expected, or whether something is wrong on my side?",
    "I attached a screenshot of what I see.",
    "Thank you for your quick answer, it works now.",
    "We checked the logs and found the cause; a fix is on its way.",
    "Could you try again after clearing your browser's cache and tell us what happens?",
    "This happens on every browser I tried, on my phone as well.",
    "Our accounting department needs the corrected document before the end of the month.",
    "The colleague who usually handles this is away, so I am writing instead.",
    "More details are on https://example.com/help/articles/1234 if that helps.",
    "I still see the same thing, nothing has changed.",
    "We have escalated this to the technical team and will come back to you.",
    "Please confirm the address you want us to use from now on.",
]
FIRST_NAMES = "Alice Bruno Chloé David Emma Farid Gaëlle Hugo Inès Jules Karim Léa Marc Nina Omar Paul Rose Sami Théo Zoé".split()
LAST_NAMES = "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Michel Garcia Roux".split()


def _zipf_weights(n, s=1.1):
    return [1 / (k**s) for k in range(1, n + 1)]


class Writer:
    """COPY on PostgreSQL, batched executemany elsewhere."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"

    def write(self, table, columns, rows):
        count = 0
        with connection.cursor() as cursor:
            if self.postgres:
                sql = f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join(["%s"] * len(columns))})'
                batch = []
                for row in rows:
                    batch.append(row)
                    if len(batch) >= 5000:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
        return count


#: The tables the generator fills by the million: their secondary indexes are dropped during the load and
#: built again after it (``_indexes_built_after``).
BULK_TABLES = ["wagtail_support_ticket", "wagtail_support_message", "wagtail_support_attachment",
               "wagtail_support_outboundmail", "wagtailcore_modellogentry", "wagtail_support_satisfactionrating"]


@contextlib.contextmanager
def _indexes_built_after(tables=BULK_TABLES):
    """On PostgreSQL, drop the secondary indexes of ``tables`` (not the primary keys nor the unique
    constraints) for the block, then build them again from their own definitions: building an index over
    rows already loaded is several times cheaper than keeping it up to date through millions of COPY rows
    (about 35 indexes on the tickets alone). In the caller's transaction: a failure leaves them as they were."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
            "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [list(tables)],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        # The rows are consistent by construction: a superuser skips the foreign keys' checks of every row
        # (triggers are off in the "replica" role, for this transaction only); anyone else checks them.
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        # The foreign keys' checks deferred to the commit, if any, run now: an index is not built over rows
        # whose checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)


def _next_id(model):
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def _reset_sequences(models):
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            table, pk = model._meta.db_table, model._meta.pk.column
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{pk}'), COALESCE(MAX(\"{pk}\"), 1)) FROM \"{table}\""
            )


def support_page():
    """The support page the visitor scenarios use (created under the default site the first time)."""
    from wagtail.models import Site

    from wagtail_support.pages import SupportPage

    page = SupportPage.objects.filter(slug="support").first()
    if page is None:
        site = Site.objects.get(is_default_site=True)
        page = SupportPage(title="Support", slug="support", intro="<p>Tell us what went wrong.</p>")
        site.root_page.add_child(instance=page)
        page = SupportPage.objects.get(pk=page.pk)
    return page


#: Articles read before a ticket was opened (``Ticket.came_from``).
ARTICLES = 20


def article_pages():
    """Twenty plain pages under the site's root, read by visitors before they opened a ticket (created the
    first time)."""
    from wagtail.models import Page, Site

    root = Site.objects.get(is_default_site=True).root_page
    return [
        Page.objects.filter(slug=f"bench-article-{n}").first()
        or root.add_child(instance=Page(title=f"Bench article {n}", slug=f"bench-article-{n}"))
        for n in range(ARTICLES)
    ]


def _source_pages(tid, support, articles):
    """(submitted_from, came_from) of ticket ``tid``: one ticket in ten sent from the support page's form, one
    in three read one of the twenty articles before (the editors' panel and the pages report read them)."""
    came_from = articles[(tid % 60) // 3] if tid % 3 == 0 else None
    return (support if tid % 10 == 0 else None, came_from)


#: The share of tickets open or pending, by default.
BACKLOG = DEFAULT_BACKLOG
#: Of the backlog, the share pending (waiting for the requester); the rest is open.
PENDING_SHARE = 0.25


def _open_chance(backlog):
    """``chance(x)``: the probability that a ticket at ``x`` (0 the oldest, 1 the newest) is not closed, whose
    mean over [0, 1] is ``backlog``: ``stale + (1 - stale) * x ** k`` with a tenth of the backlog as the stale
    floor (old tickets nobody closed) and ``k`` such that the mean comes out right. At 20%: 81% of the newest
    tenth of the history, 7% in its middle, 2% of the oldest; at 70%: 74% in the middle, 7% of the oldest."""
    if backlog <= 0:
        return lambda x: 0.0
    if backlog >= 1:
        return lambda x: 1.0
    stale = backlog / 10
    k = (1 - stale) / (backlog - stale) - 1
    return lambda x: stale + (1 - stale) * x**k


def generate(tickets=100_000, *, seed=42, now=None, log=print, requesters=REQUESTERS,
             big_messages=BIG_TICKET_MESSAGES, backlog=BACKLOG):
    """Insert ``tickets`` tickets and everything around them; returns a summary dict.

    ``backlog``: the share of the tickets open or pending (0 to 1). ``requesters`` and ``big_messages`` are
    smaller in the smoke test, which must take seconds.
    """
    if not 0 <= backlog <= 1:
        raise ValueError(f"backlog is a share between 0 and 1, not {backlog}")
    open_chance = _open_chance(backlog)
    rng = random.Random(seed)
    # The report fields have their own draws: the rest of the data stays what it was without them.
    report_rng = random.Random(seed + 17)
    now = now or timezone.now()
    writer = Writer()
    User = get_user_model()
    summary = {"tickets": tickets, "seed": seed, "generator_version": GENERATOR_VERSION, "backlog": backlog}
    password = make_password(PASSWORD)

    with transaction.atomic():
        # Teams, catalog, resolution codes ------------------------------------------------------------
        team_base = _next_id(Team)
        teams = [
            Team(id=team_base + i, name=f"Bench team {i + 1:02d}", slug=f"bench-team-{i + 1:02d}",
                 contact_email="", inbound_email="")
            for i in range(TEAMS)
        ]
        Team.objects.bulk_create(teams)
        locale = Locale.get_default()
        categories = []
        for team in teams:
            for j in range(3):
                categories.append(
                    Category(name=f"{team.name} › entry {j + 1}", default_team=team, sort_order=j, locale=locale)
                )
        # bulk_create skips Wagtail's pre_save that gives a translatable model the default locale.
        Category.objects.bulk_create(categories)
        categories = list(Category.objects.filter(default_team__in=teams).order_by("pk"))
        categories_by_team = {}
        for category in categories:
            categories_by_team.setdefault(category.default_team_id, []).append(category.pk)
        codes = [ResolutionCode.objects.get_or_create(code=c, defaults={"label": c.title()})[0].pk
                 for c in ("bench-fixed", "bench-answered", "bench-duplicate")]
        no_follow_up = ResolutionCode.no_follow_up().pk

        # People --------------------------------------------------------------------------------------
        user_base = _next_id(User)
        joined = now - datetime.timedelta(days=1200)
        user_rows, agents_by_team, agent_ids = [], {t.pk: [] for t in teams}, []
        memberships = []
        uid = user_base

        def add_user(username, first, last, email, staff=False):
            nonlocal uid
            user_rows.append((uid, password, None, False, username, first, last, email, staff, True, joined))
            uid += 1
            return uid - 1

        for t_index, team in enumerate(teams):
            for a in range(AGENTS_PER_TEAM):
                n = t_index * AGENTS_PER_TEAM + a
                pk = add_user(f"bench-agent-{n:03d}", FIRST_NAMES[n % 20], LAST_NAMES[n % 15],
                              f"agent{n:03d}@support.example.com", staff=True)
                agents_by_team[team.pk].append(pk)
                agent_ids.append(pk)
                memberships.append((team.pk, pk))
        # A fifth of the agents also work a second team.
        for pk in agent_ids[::5]:
            other = teams[rng.randrange(TEAMS)].pk
            if (other, pk) not in memberships:
                memberships.append((other, pk))
                agents_by_team[other].append(pk)
        bench_agent = add_user(BENCH_AGENT, "Bench", "Agent", "bench-agent@support.example.com", staff=True)
        # The bench agent works the busiest team and a middling one.
        for team in (teams[0], teams[5]):
            memberships.append((team.pk, bench_agent))
            agents_by_team[team.pk].append(bench_agent)
        supervisor = add_user(BENCH_SUPERVISOR, "Bench", "Supervisor", "bench-supervisor@support.example.com",
                              staff=True)
        requester_ids, requester_emails = [], []
        for r in range(requesters):
            email = f"requester{r:05d}@customer.example.org"
            requester_ids.append(add_user(f"requester{r:05d}", FIRST_NAMES[r % 20], LAST_NAMES[r % 15], email))
            requester_emails.append(email)
        heavy = add_user(BENCH_HEAVY, "Heavy", "Requester", "bench-heavy@customer.example.org")
        writer.write(
            User._meta.db_table,
            ["id", "password", "last_login", "is_superuser", "username", "first_name", "last_name", "email",
             "is_staff", "is_active", "date_joined"],
            user_rows,
        )
        writer.write(Team.members.through._meta.db_table, ["team_id", "user_id"], memberships)
        # The groups of the data migration (and of `manage.py support_groups`), with their permissions.
        synced = {group.name: group for group in groups.sync_groups(Group, Permission)}
        agent_group, supervisor_group = synced[groups.AGENTS], synced[groups.SUPERVISORS]
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=pk, group_id=agent_group.pk) for pk in agent_ids + [bench_agent]]
            + [User.groups.through(user_id=supervisor, group_id=supervisor_group.pk)]
        )
        names = {row[0]: f"{row[5]} {row[6]}" for row in user_rows}
        # Ticket.assignee_sort, as the workflow keeps it (first name, last name, username).
        sort_keys = {row[0]: ASSIGNEE_SORT_SEPARATOR.join((row[5], row[6], row[4])) for row in user_rows}
        emails = {row[0]: row[7] for row in user_rows}
        log(f"  people: {len(user_rows):,} accounts, {len(memberships):,} team memberships")

        # Who writes each ticket --------------------------------------------------------------------
        heavy_count = min(HEAVY_REQUESTER_TICKETS, tickets // 2)
        big_index = tickets // 3  # the 500-message ticket, an old closed one on the bench agent's team
        heavy_slots = set(rng.sample(range(tickets), heavy_count + 1) if tickets > 1 else [])
        heavy_slots.discard(big_index)
        heavy_slots = set(list(heavy_slots)[:heavy_count])
        requester_weights = _zipf_weights(requesters, 0.9)
        drawn = rng.choices(range(requesters), weights=requester_weights, k=tickets)
        team_weights = _zipf_weights(TEAMS, 0.8)
        team_draw = rng.choices(range(TEAMS), weights=team_weights, k=tickets)

        span_days = min(1095.0, max(30.0, tickets / 100))
        start = now - datetime.timedelta(days=span_days)
        step = span_days * 86400 / max(tickets, 1)
        ticket_base, message_base = _next_id(Ticket), _next_id(Message)
        attachment_base, mail_base = _next_id(Attachment), _next_id(OutboundMail)
        number_base = max(
            support_settings.REFERENCE_START,
            (Ticket.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1,
        )
        content_type = ContentType.objects.get_for_model(Ticket).pk
        support = support_page().pk
        articles = [page.pk for page in article_pages()]

        ticket_rows, message_rows, attachment_rows, mail_rows, log_rows = [], [], [], [], []
        rating_rows = []
        counts = {"tickets": 0, "messages": 0, "internal": 0, "attachments": 0, "mails": 0, "log": 0, "ratings": 0,
                  "with_due": 0}
        next_message, next_attachment, next_mail = message_base, attachment_base, mail_base
        statuses = {"open": 0, "pending": 0, "closed": 0}
        big_ticket_id = None

        def flush():
            counts["tickets"] += writer.write(Ticket._meta.db_table, TICKET_COLUMNS, ticket_rows)
            counts["messages"] += writer.write(Message._meta.db_table, MESSAGE_COLUMNS, message_rows)
            counts["attachments"] += writer.write(Attachment._meta.db_table, ATTACHMENT_COLUMNS, attachment_rows)
            counts["mails"] += writer.write(OutboundMail._meta.db_table, MAIL_COLUMNS, mail_rows)
            counts["log"] += writer.write("wagtailcore_modellogentry", LOG_COLUMNS, log_rows)
            counts["ratings"] += writer.write(SatisfactionRating._meta.db_table, RATING_COLUMNS, rating_rows)
            for rows in (ticket_rows, message_rows, attachment_rows, mail_rows, log_rows, rating_rows):
                rows.clear()

        indexes = contextlib.ExitStack()  # the secondary indexes, built again after the load
        indexes.enter_context(_indexes_built_after())
        for i in range(tickets):
            tid, number = ticket_base + i, number_base + i
            created = start + datetime.timedelta(seconds=i * step + rng.random() * step)
            age_days = (now - created).total_seconds() / 86400
            team_index = team_draw[i]
            is_big = i == big_index
            if is_big:
                team_index = 0
                big_ticket_id = tid
            team = teams[team_index].pk
            if i in heavy_slots:
                requester, email = heavy, emails[heavy]
            elif rng.random() < 0.15:
                requester, email = None, f"person{rng.randrange(ANONYMOUS_PEOPLE):04d}@mail.example.net"
            else:
                r = drawn[i]
                requester, email = requester_ids[r], requester_emails[r]
            name = names[requester] if requester else email.split("@")[0].title()
            beneficiary = beneficiary_email = None
            beneficiary_name = ""
            if rng.random() < 0.1:
                b = rng.randrange(requesters)
                beneficiary, beneficiary_email = requester_ids[b], requester_emails[b]
                beneficiary_name = names[beneficiary]

            draw = rng.random()
            chance = open_chance(i / tickets)
            if is_big or draw >= chance:
                status = "closed"
            else:
                status = "pending" if draw < chance * PENDING_SHARE else "open"
            statuses[status] += 1
            team_agents = agents_by_team[team]
            assignee = rng.choice(team_agents) if (status == "closed" or rng.random() < 0.5) else None

            # The conversation.
            if is_big:
                count = big_messages
            elif rng.random() < 0.0005:
                count = rng.randint(100, 300)
            else:
                count = 1 + min(60, int(rng.expovariate(1 / 9)))
            # Hours to weeks with the messages, never past now (a young ticket's conversation is its life so far).
            span = min(30 * 86400.0, max(3600.0, count * 4 * 3600.0), max(60.0, age_days * 86400 * 0.9))
            if is_big:
                # Closed three weeks ago or more at every size and backlog, past the rating window
                # (``WAGTAILSUPPORT_RATING_DAYS``, 14): its page reads the same rows everywhere.
                span = min(span, max(60.0, (age_days - BIG_TICKET_CLOSED_DAYS) * 86400))
            times = sorted(rng.random() * span for _ in range(count - 1))
            subject = rng.choice(SUBJECT_TEMPLATES).format(a=rng.choice(WORDS), b=rng.choice(WORDS))
            if rng.random() < 0.01:
                subject = f"{subject} ({SEARCH_WORD})"
            if is_big:
                subject = BIG_TICKET_SUBJECT
            description = " ".join(rng.sample(SENTENCES, rng.randint(2, 4)))
            first_response = None
            awaiting = None  # since when the requester waits for us (Ticket.awaiting_agent_since)
            last_time = created
            for m in range(count):
                at = created if m == 0 else created + datetime.timedelta(seconds=times[m - 1])
                last_time = at
                from_agent = m > 0 and (m % 2 == 1 or rng.random() < 0.2)
                internal = from_agent and rng.random() < 0.2
                if from_agent:
                    author = assignee or rng.choice(team_agents)
                    role, author_name, author_email = "agent", names[author], emails[author]
                    if not internal and first_response is None:
                        first_response = at
                    if not internal:
                        awaiting = None
                else:
                    author, role, author_name, author_email = requester, "requester", name, email
                    awaiting = awaiting or at
                body = description if m == 0 else " ".join(rng.sample(SENTENCES, rng.randint(1, 3)))
                message_rows.append((next_message, tid, author, author_name, author_email, role, body,
                                     "internal" if internal else "public", "web", at))
                if internal:
                    counts["internal"] += 1
                if rng.random() < 0.08:
                    for k in range(rng.randint(1, 2)):
                        filename = f"{rng.choice(WORDS)}-{k + 1}.{rng.choice(['pdf', 'png', 'txt'])}"
                        attachment_rows.append((
                            next_attachment, next_message,
                            f"wagtail_support/bench/{uuid.UUID(int=rng.getrandbits(128)).hex}/{filename}",
                            filename, "application/octet-stream", rng.randint(2_000, 2_000_000), at,
                        ))
                        next_attachment += 1
                if from_agent and not internal and email:
                    mail_rows.append((
                        next_mail, tid, next_message, "agent_reply", "requester", email, "en",
                        f"[#{number}] {subject}"[:255], f"<bench.{next_mail}@bench.example.com>", "test",
                        f"esp-{next_mail}", "sent", "", 1, "{}", at, at, at,
                    ))
                    next_mail += 1
                next_message += 1
            closed_at = last_time + datetime.timedelta(minutes=5) if status == "closed" else None
            updated = closed_at or last_time
            if status == "closed":
                abandoned = rng.random() < 0.08
                code = no_follow_up if abandoned else rng.choice(codes)
                close_reason = "abandoned" if abandoned else "resolved"
                solution = "" if abandoned else "We fixed the cause; it works again."
            else:
                code, close_reason, solution = None, "", ""
            kind = rng.choice(Ticket.Kind.values)
            priority = rng.choices(Ticket.Priority.values, [0.2, 0.55, 0.2, 0.05])[0]
            category = rng.choice(categories_by_team[team])
            report = _report_fields(report_rng, tid, created, first_response, closed_at, now)
            if is_big and not report["satisfaction"]:
                # The ticket page scenario's ticket is rated at every size and backlog: its page reads the same rows.
                report["satisfaction"] = "good"
                report["satisfaction_at"] = min(now, closed_at + datetime.timedelta(days=1))
            dues = _service_level_dues(tid, status, created, first_response)
            if dues[2] is not None:
                counts["with_due"] += 1
            if report["satisfaction"]:
                rating_rows.append((tid, closed_at, report["satisfaction"], "", email, requester,
                                    report["satisfaction_at"], report["satisfaction_at"]))
            ticket_rows.append((
                tid, number, subject, description, kind, priority, status, category, team, assignee,
                requester, name, email, beneficiary, beneficiary_name, beneficiary_email or "",
                rng.choice(["web", "web", "web", "email"]), "en", created, updated, first_response, closed_at,
                close_reason, code, solution, 1 + count // 2, awaiting,
                *(report[name] for name in REPORT_COLUMNS), *dues, sort_keys[assignee] if assignee else "",
                *_source_pages(tid, support, articles),
            ))
            reference = f"{support_settings.REFERENCE_PREFIX}{number}"
            title = f"{reference} {subject}"
            log_rows.append((content_type, title, "wagtail_support.ticket.open",
                             json.dumps({"reference": reference}), created, requester, False, False, str(tid)))
            if status == "closed":
                log_rows.append((content_type, title, "wagtail_support.ticket.resolve",
                                 json.dumps({"reference": reference}), closed_at, assignee, False, False, str(tid)))
            if len(message_rows) >= 50_000 or len(ticket_rows) >= 5_000:
                flush()
                if counts["tickets"] % 50_000 == 0:
                    log(f"  {counts['tickets']:,} tickets, {counts['messages']:,} messages")
        flush()
        log("  building the indexes...")
        indexes.close()
        TicketReferenceCounter.objects.update_or_create(name="ticket", defaults={"value": number_base + tickets - 1})

    _reset_sequences([User, Team, Category, Ticket, Message, Attachment, OutboundMail])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('wagtailcore_modellogentry', 'id'), "
                "COALESCE(MAX(id), 1)) FROM wagtailcore_modellogentry"
            )
    summary.update(counts)
    summary.update({
        "teams": TEAMS, "agents": len(agent_ids) + 1, "requesters": requesters + 1,
        "statuses": statuses, "heavy_requester_tickets": heavy_count, "big_ticket_id": big_ticket_id,
        "span_days": round(span_days), "search_word_tickets": None,
    })
    return summary


def _report_fields(rng, tid, created, first_response, closed_at, now):
    """The durations, the targets met and the rating of one ticket (``REPORT_COLUMNS``)."""
    with_targets = tid % 5 != 0
    found = {name: None for name in REPORT_COLUMNS}
    found["satisfaction"] = ""
    if first_response is not None:
        seconds = max(0, int((first_response - created).total_seconds()))
        found["first_response_seconds"] = seconds
        found["first_response_met"] = seconds <= FIRST_RESPONSE_TARGET if with_targets else None
    if closed_at is not None:
        seconds = max(0, int((closed_at - created).total_seconds()))
        found["resolution_seconds"] = seconds
        found["resolution_met"] = seconds <= RESOLUTION_TARGET if with_targets else None
        if rng.random() < RATED_SHARE:
            found["satisfaction"] = "good" if rng.random() < GOOD_SHARE else "bad"
            found["satisfaction_at"] = min(now, closed_at + datetime.timedelta(seconds=rng.random() * 2 * 86400))
    return found


def _service_level_dues(tid, status, created, first_response):
    """``DUE_COLUMNS`` of one ticket: four in five of the tickets that are not closed have a service level's
    dues, as the workflow would give them: resolution within 72 hours of the opening, first response within 8
    hours while none was given; ``next_due`` the earliest. Written with the row (an UPDATE afterwards would
    rewrite a fifth of the tickets at 20% backlog)."""
    if status == "closed" or tid % 5 == 0:
        return (None, None, None)
    resolution = created + datetime.timedelta(hours=72)
    if first_response is None:
        first = created + datetime.timedelta(hours=8)
        return (first, resolution, first)
    return (None, resolution, resolution)


def vacuum_analyze():
    """Statistics and the visibility map after a bulk load, as autovacuum would do a while later."""
    if connection.vendor != "postgresql":
        return
    connection.ensure_connection()
    autocommit = connection.get_autocommit()
    connection.set_autocommit(True)
    try:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    finally:
        connection.set_autocommit(autocommit)


TICKET_COLUMNS = [
    "id", "number", "subject", "description", "kind", "priority", "status", "category_id", "team_id",
    "assignee_id", "requester_user_id", "requester_name", "requester_email", "beneficiary_user_id",
    "beneficiary_name", "beneficiary_email", "channel", "language", "created_at", "updated_at",
    "first_response_at", "closed_at", "close_reason", "resolution_code_id", "solution", "version",
    "awaiting_agent_since",
]
# What the reports read (see ``_report_fields``), and the ratings.
REPORT_COLUMNS = [
    "first_response_seconds", "first_response_met", "resolution_seconds", "resolution_met", "satisfaction",
    "satisfaction_at",
]
#: The service level's dues (``_service_level_dues``).
DUE_COLUMNS = ["first_response_due", "resolution_due", "next_due"]
TICKET_COLUMNS += REPORT_COLUMNS + DUE_COLUMNS
# The inbox's sort key by assignee (priority_rank and status_rank are generated by the database).
TICKET_COLUMNS += ["assignee_sort"]
# The pages a ticket came from (``_source_pages``).
TICKET_COLUMNS += ["submitted_from_id", "came_from_id"]
RATING_COLUMNS = [
    "ticket_id", "closed_at", "rating", "comment", "rated_by_email", "rated_by_user_id", "created_at", "updated_at",
]
MESSAGE_COLUMNS = [
    "id", "ticket_id", "author_user_id", "author_name", "author_email", "author_role", "body", "visibility",
    "channel", "created_at",
]
ATTACHMENT_COLUMNS = ["id", "message_id", "file", "filename", "content_type", "size", "created_at"]
MAIL_COLUMNS = [
    "id", "ticket_id", "message_id", "event", "audience", "recipient", "language", "subject",
    "internet_message_id", "esp_name", "esp_message_id", "status", "error", "attempts", "params",
    "created_at", "sent_at", "updated_at",
]
LOG_COLUMNS = [
    "content_type_id", "label", "action", "data", "timestamp", "user_id", "content_changed", "deleted", "object_id",
]
