import pytest
from django.core import mail
from wagtail.log_actions import registry
pytestmark = pytest.mark.django_db

def test_scratch(requester, category, agent, django_capture_on_commit_callbacks, anon_ticket):
    from tests.factories import open_ticket
    with django_capture_on_commit_callbacks(execute=True):
        t = open_ticket(requester, category=category)
    print(t.number, t.team, [ (m.to, m.subject, type(m)) for m in mail.outbox])
    for e in registry.get_logs_for_instance(t):
        print(e.action, e.user, e.message, e.data)
    print(anon_ticket.number, anon_ticket.requester_email)
