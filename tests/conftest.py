"""Shared fixtures of the wagtail-support test suite.

The cast of a helpdesk, built through the real models and workflow (see ``tests/factories.py``):

- ``team``: the "Helpdesk" team (slug ``helpdesk``), where ``category`` routes tickets.
- ``other_team``: the "Billing" team (slug ``billing``).
- ``agent``: Alice Agent, in the "Support agents" group and member of ``team``.
- ``outsider_agent``: Oscar Outsider, an agent of ``other_team`` only.
- ``supervisor``: Sue Supervisor, in the "Support supervisors" group, member of no team.
- ``requester`` / ``other_requester``: Rita Requester and Otto Other, plain accounts without admin rights.
- ``category``: the "Accounts" service catalog entry, routed to ``team``.
- ``ticket``: a ticket opened by ``requester`` through ``workflow.open_ticket`` in ``category``.
- ``anon_ticket``: a ticket opened with a requester name and address only (no account), in ``category``.
- ``resolution_code``: the active code "fixed" (label "Fixed").
- ``colleague``: Carl Colleague, a second agent of ``team``.
- ``esp_down``: mail goes to ``tests.failing_backend.FailingBackend``, whose ESP refuses everything.
- ``shared_ticket``: a ticket of ``requester`` for the beneficiary ``other_requester``.
- ``support_page``: the live ``SupportPage`` at ``/support/``, under the default site's root page.
- ``empty_cache``: the default cache emptied before and after the test (rate limit counts live there).

Every test gets Anymail's test backend for mail (``django.core.mail.outbox``), whatever Django's test
setup put in ``EMAIL_BACKEND``, and after every test that sent mail, each mail to anyone but an agent
is searched for the text of every internal note in the database (invariant 1). Tests marked
``postgres`` are skipped on other databases.
"""

import pytest

from tests import factories


def pytest_runtest_setup(item):
    # Skip a test marked ``@pytest.mark.postgres`` unless the database is PostgreSQL, before any
    # database fixture runs.
    if item.get_closest_marker("postgres") is not None:
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.skip(f"needs PostgreSQL (the database is {connection.vendor})")


@pytest.fixture(autouse=True)
def _forget_flushed_content_types(request):
    """Before a ``postgres`` test: drop the cached content types, and cache those of the database.

    A transactional test that ran before it flushed the database, and the content types were created
    again with new ids; the ids cached in memory would point at rows that no longer exist. The cache is
    filled again at once (when the test uses the database): the next ``serialized_rollback`` test
    reloads the database with objects whose ``__init__`` asks for content types (Wagtail's tasks), and
    an empty cache there would create them a second time.
    """
    if request.node.get_closest_marker("postgres") is not None:
        from django.apps import apps
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
        marker = request.node.get_closest_marker("django_db")
        if marker is not None or {"db", "transactional_db"} & set(request.fixturenames):
            request.getfixturevalue("transactional_db" if marker is not None and marker.kwargs.get("transaction") else "db")
            ContentType.objects.get_for_models(*apps.get_models(), for_concrete_models=False)


@pytest.fixture(autouse=True)
def _forget_site_root_paths():
    """After each test: forget Wagtail's cached site root paths. A test that made a second Site fills that
    cache (in Django's cache, which no rollback empties), and the next test's page URLs would come out
    absolute, as on a site with several Sites."""
    yield
    from wagtail.models import Site

    Site.clear_site_root_paths_cache()


@pytest.fixture(autouse=True)
def _anymail_test_backend(settings):
    """Send mail through Anymail's test backend, which records it in ``django.core.mail.outbox``."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"


# Shorter notes ("ok", "done") would match ordinary words of any mail.
NOTE_MIN_LENGTH = 12


@pytest.fixture(autouse=True)
def _no_internal_note_in_any_mail(request):
    """After each test: no internal note's text is in any mail sent to someone who is not an agent."""
    # Take the test's database fixture first, so this check runs before its rollback.
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (marker is not None and marker.kwargs.get("transaction")):
        request.getfixturevalue("transactional_db")
    elif "db" in request.fixturenames or marker is not None:
        request.getfixturevalue("db")
    else:
        yield
        return
    yield
    import html

    from django.contrib.auth import get_user_model
    from django.core import mail

    from wagtail_support import access
    from wagtail_support.models import Message

    # Only real mails: a test may have put its own sentinels in the outbox.
    outbox = [sent for sent in getattr(mail, "outbox", []) if hasattr(sent, "to") and hasattr(sent, "body")]
    if not outbox:
        return
    notes = [
        body.strip()
        for body in Message.objects.internal().values_list("body", flat=True)
        if len(body.strip()) >= NOTE_MIN_LENGTH
    ]
    if not notes:
        return
    agents = {u.email.lower() for u in get_user_model().objects.exclude(email="") if access.is_agent(u)}
    for sent in outbox:
        if all(address.lower() in agents for address in sent.to):
            continue
        parts = [sent.subject, sent.body]
        parts += [html.unescape(content) for content, _type in getattr(sent, "alternatives", [])]
        text = "\n".join(parts)
        for note in notes:
            assert note not in text, f"internal note {note[:40]!r} mailed to {sent.to}"


@pytest.fixture
def esp_down(settings):
    """The ESP refuses every mail; ``FailingBackend.attempts`` lists what was tried."""
    from tests.failing_backend import FailingBackend

    settings.EMAIL_BACKEND = "tests.failing_backend.FailingBackend"
    FailingBackend.attempts.clear()
    yield FailingBackend.attempts
    FailingBackend.attempts.clear()


@pytest.fixture
def colleague(team):
    """Carl Colleague (``colleague``): a second agent of ``team``."""
    return factories.make_agent("colleague", team, first_name="Carl", last_name="Colleague")


@pytest.fixture
def shared_ticket(requester, other_requester, category):
    """A ticket of ``requester`` for the beneficiary ``other_requester``, worked by ``team``."""
    return factories.opened_before(factories.open_ticket(requester, beneficiary=other_requester, category=category))


@pytest.fixture
def team(db):
    """The "Helpdesk" team (slug ``helpdesk``, also the example site's WAGTAILSUPPORT_DEFAULT_TEAM)."""
    return factories.make_team("Helpdesk", "helpdesk")


@pytest.fixture
def other_team(db):
    """The "Billing" team (slug ``billing``)."""
    return factories.make_team("Billing", "billing")


@pytest.fixture
def agent(team):
    """Alice Agent (``agent``, agent@example.com): a support agent, member of ``team``."""
    return factories.make_agent("agent", team, first_name="Alice", last_name="Agent")


@pytest.fixture
def outsider_agent(other_team):
    """Oscar Outsider (``outsider``, outsider@example.com): a support agent of ``other_team`` only."""
    return factories.make_agent("outsider", other_team, first_name="Oscar", last_name="Outsider")


@pytest.fixture
def supervisor(db):
    """Sue Supervisor (``supervisor``, supervisor@example.com): a support supervisor of no team."""
    return factories.make_supervisor("supervisor", first_name="Sue", last_name="Supervisor")


@pytest.fixture
def requester(db):
    """Rita Requester (``requester``, requester@example.com): a plain account, no admin permissions."""
    return factories.make_user("requester", first_name="Rita", last_name="Requester")


@pytest.fixture
def other_requester(db):
    """Otto Other (``other_requester``, other_requester@example.com): another plain account."""
    return factories.make_user("other_requester", first_name="Otto", last_name="Other")


@pytest.fixture
def category(team):
    """The "Accounts" service catalog entry; its tickets go to ``team``."""
    return factories.make_category("Accounts", team)


@pytest.fixture
def ticket(requester, category):
    """An open ticket of ``requester`` in ``category`` (so worked by ``team``), opened on the web."""
    return factories.opened_before(
        factories.open_ticket(
            requester,
            subject="Cannot log in",
            description="The login page says my password is wrong.",
            category=category,
        )
    )


@pytest.fixture
def anon_ticket(category):
    """An open ticket of Ann Onymous <ann@example.com>, who has no account; worked by ``team``."""
    return factories.opened_before(
        factories.open_ticket(
            requester_name="Ann Onymous",
            requester_email="ann@example.com",
            subject="Invoice missing",
            description="I did not receive my invoice for March.",
            category=category,
        )
    )


@pytest.fixture
def resolution_code(db):
    """The active resolution code ``fixed`` (label "Fixed")."""
    return factories.make_code("fixed", "Fixed")


@pytest.fixture
def support_page(db):
    """The live "Support" page (``/support/``), a ``SupportPage`` under the default site's root page."""
    from wagtail.models import Site

    from wagtail_support.pages import SupportPage

    site = Site.objects.get(is_default_site=True)
    page = SupportPage(title="Support", slug="support", intro="<p>Tell us what went wrong.</p>")
    site.root_page.add_child(instance=page)
    return SupportPage.objects.get(pk=page.pk)


@pytest.fixture
def empty_cache(db):
    """An empty default cache, so rate limit counts of earlier tests do not carry over."""
    from django.core.cache import cache

    cache.clear()
    yield cache
    cache.clear()
