"""Background work, through the ``django_tasks`` API that Wagtail itself uses.

Tasks take ids and plain strings only, so any backend (immediate, database, a broker) can carry them.
"""

from django_tasks import task


@task()
def send_recorded_mail(mail_id):
    """Send one recorded mail (an ``OutboundMail``); see ``wagtail_support.notifications``."""
    from .notifications import deliver

    return deliver(mail_id)


@task()
def send_ticket_links_mail(email, support_page_id, language=""):
    """Send the links to an address's tickets; see ``wagtail_support.notifications``."""
    from .notifications import deliver_ticket_links

    return deliver_ticket_links(email, support_page_id, language)
