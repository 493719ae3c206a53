"""Signals a site listens to, sent by ``wagtail_support.workflow`` once a move has been committed.

Each is sent after the transaction of the move commits, never for a move that was rolled back, and
with ``send_robust``: a receiver that fails is logged and cannot undo the move or turn the visitor's
request into an error page. Receivers get the ticket as the move left it.

- ``ticket_opened(sender=Ticket, ticket, actor, message)``: a new ticket and its first message.
- ``ticket_changed(sender=Ticket, ticket, move, actor, changes)``: any move but opening one. ``move`` is
  the workflow function's name (``"assign"``, ``"resolve"``, ``"reply"``...); ``changes`` maps each
  changed field to ``{"old": ..., "new": ...}`` (plain values: ids, codes, text).
- ``message_added(sender=Message, message, ticket, actor)``: a reply or an internal note (check
  ``message.is_internal`` before sending it anywhere outside the support team).
- ``ticket_rated(sender=Ticket, ticket, rating, actor)``: the requester rated the ticket's closing, or
  changed their rating (``rating`` is ``"good"`` or ``"bad"``; the comment is on
  ``ticket.ratings.get(closed_at=ticket.closed_at)``). Sent by ``workflow.rate``, which also sends
  ``ticket_changed`` with ``move="rate"``.

``actor`` is the account that made the move, or ``None`` (an anonymous requester, a mail, the system).

    from django.dispatch import receiver
    from wagtail_support.signals import ticket_changed

    @receiver(ticket_changed)
    def tell_the_chat(sender, ticket, move, actor, changes, **kwargs):
        if move == "resolve":
            ...
"""

from django.dispatch import Signal

ticket_opened = Signal()
ticket_changed = Signal()
message_added = Signal()
ticket_rated = Signal()
# ``personal_data_erased(sender=Ticket, ticket_ids, emails, person_hash, actor)``: sent by ``privacy.erase``
# (and the retention of closed tickets, with ``emails=[]``) once committed, so that a site's own copies (a
# CRM, a mailing list) can be erased too. ``emails`` are the addresses erased: do not store them.
personal_data_erased = Signal()
