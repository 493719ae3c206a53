"""Outgoing mail, in the order a mail goes through it:

- ``recipients``: who hears about which event (the default rules of the adapter) and in which language;
- ``outbox``: the record of each mail, written in the transaction of the move, and its task enqueued;
- ``render``: the record made into an email (templates through the adapter, threading headers, reply token);
- ``delivery``: the task's work: claim, render, send through Anymail, record the outcome; retries;
- ``tracking``: what the ESP reports afterwards (delivered, bounced, complained).

Rules that never bend: an internal note is never mailed outside the support team, and nobody is mailed
about an event they caused themselves (the confirmation of a new ticket aside).
"""
