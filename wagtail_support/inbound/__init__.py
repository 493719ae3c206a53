"""Incoming mail: Anymail's ``inbound`` signal to a ticket message.

- ``handler``: one mail from arrival to its record (``InboundMail``): robots recognised, the ticket found,
  the sender checked, the reply added or a ticket opened through the workflow; release and discard.
- ``replies``: what the person wrote, without the history they replied to (every mail client's layout).
- ``html``: the HTML part made plain text (nothing from a mail is ever stored as markup).
"""

from .handler import discard, handle_inbound, process, release

__all__ = ["discard", "handle_inbound", "process", "release"]
