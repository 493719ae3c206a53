"""Background work, through the ``django_tasks`` API that Wagtail itself uses.

Tasks take ids and plain strings only, so any backend (immediate, database, a broker) can carry them. Each
task imports the code it runs when it runs: a task is the boundary between the request that enqueued it
and the worker, and ``notifications.outbox`` (which enqueues) sits below ``notifications.delivery`` (which
the task runs), so importing it here at module level would make a cycle.
"""

from django_tasks import task


@task()
def send_recorded_mail(mail_id):
    """Send one recorded mail (an ``OutboundMail``); see ``wagtail_support.notifications.delivery``."""
    from .notifications.delivery import deliver  # task boundary (see the module docstring)

    return deliver(mail_id)


@task()
def send_ticket_links_mail(email, support_page_id, language=""):
    """Send the links to an address's tickets; see ``wagtail_support.notifications.delivery``."""
    from .notifications.delivery import deliver_ticket_links  # task boundary (see the module docstring)

    return deliver_ticket_links(email, support_page_id, language)


@task()
def deliver_webhook(delivery_id):
    """One attempt of a webhook delivery (a ``WebhookDelivery``); see ``wagtail_support.webhooks``."""
    from .webhooks import deliver  # task boundary: ``webhooks`` enqueues this task

    return deliver(delivery_id)


@task()
def support_tick_task():
    """Do the automation steps due now (``manage.py support_tick``), in a worker; returns the counts per
    step. django-tasks has no scheduler: enqueue it every few minutes from yours, or run the command
    from cron."""
    from .automation import tick  # task boundary: the automation sits above the workflow, which enqueues mail tasks

    return dict(tick().done)
