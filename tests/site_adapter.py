"""A site's adapter (``WAGTAILSUPPORT_ADAPTER = "tests.site_adapter.SiteAdapter"``): one override per seam."""

from wagtail_support.adapter import DefaultSupportAdapter
from wagtail_support.models import Team, Ticket

ON_CALL = "oncall@example.com"


class SiteAdapter(DefaultSupportAdapter):
    # Set by a test: (address, audience) pairs the adapter adds to the mails about an internal note.
    leak_notes_to = None

    def get_mail_recipients(self, event, ticket, **kwargs):
        recipients = list(super().get_mail_recipients(event, ticket, **kwargs))
        if event == "opened" and ticket.priority == Ticket.Priority.URGENT:
            recipients.append((ON_CALL, "agent"))
        if self.leak_notes_to and event == "internal_note":
            recipients.extend(self.leak_notes_to)
        return recipients

    def render_mail(self, template_base, context, language):
        subject, text, html = super().render_mail(template_base, context, language)
        return f"[ACME] {subject}", text + "\n-- \nACME support, 24/7", html

    def get_ticket_url(self, ticket, link_token=""):
        return f"https://help.acme.example/tickets/{ticket.number}/?t={link_token}"

    def get_team_for_new_ticket(self, *, category=None, **details):
        if details.get("subject", "").lower().startswith("invoice"):
            return Team.objects.get(slug="billing")
        return super().get_team_for_new_ticket(category=category, **details)
