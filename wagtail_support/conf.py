"""Settings of wagtail-support, read in one place.

Every setting is named ``WAGTAILSUPPORT_<NAME>`` in the site's settings; ``support_settings.NAME``
returns the site's value or the default below. The README documents each one.
"""

from django.conf import settings

DEFAULTS = {
    # The dotted path of the site's adapter class (see ``wagtail_support.adapter``): who gets which mail,
    # how a mail is rendered, a ticket's public address, the team of a new ticket.
    "ADAPTER": "wagtail_support.adapter.DefaultSupportAdapter",
    # How a ticket number is shown: "#1042".
    "REFERENCE_PREFIX": "#",
    # The first ticket number handed out on a new site.
    "REFERENCE_START": 1000,
    # How long a signed link to a ticket stays valid, in seconds (30 days).
    "LINK_MAX_AGE": 60 * 60 * 24 * 30,
    # A requester's reply to a closed ticket reopens it within this many days of closing.
    "REOPEN_WINDOW_DAYS": 30,
    # The slug of the team that gets tickets with no category (or a category without a team).
    "DEFAULT_TEAM": None,
    # Sender of every mail; None means DEFAULT_FROM_EMAIL.
    "FROM_EMAIL": None,
    # Storage alias (a key of settings.STORAGES) for attachments. When the alias is not configured,
    # a private FileSystemStorage under ATTACHMENTS_ROOT is used.
    "ATTACHMENT_STORAGE": "wagtail_support_attachments",
    # Directory of the default private storage; None means "<MEDIA_ROOT>/../support-attachments".
    "ATTACHMENTS_ROOT": None,
    # Limits on attachments, checked on the content of the files.
    "MAX_ATTACHMENT_SIZE": 10 * 1024 * 1024,
    "MAX_ATTACHMENTS_PER_MESSAGE": 10,
    "MAX_MESSAGE_ATTACHMENTS_SIZE": 25 * 1024 * 1024,
    "ALLOWED_ATTACHMENT_TYPES": [
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "application/msword",
        "application/vnd.ms-excel",
        "application/zip",
    ],
    # The address that replies come back to through your ESP's inbound route, e.g.
    # "support@reply.example.com". Each mail's Reply-To is this address with a signed token for the
    # ticket after a "+" ("support+t1a-...@reply.example.com"). None: no Reply-To; replies to the From
    # address are still matched by their In-Reply-To/References headers and the reference in the subject.
    "INBOUND_ADDRESS": None,
    # The domain of the Message-IDs of our mails; None means the domain of INBOUND_ADDRESS, else of the
    # From address.
    "MESSAGE_ID_DOMAIN": None,
    # How long the token in a Reply-To address is honoured, in seconds (one year).
    "REPLY_TOKEN_MAX_AGE": 60 * 60 * 24 * 365,
    # What happens to a mail about a ticket from someone who is neither its requester, its beneficiary
    # nor an agent of its team: "quarantine" (kept in Support > Incoming mail for an agent to release
    # or discard) or "new_ticket" (it opens a ticket of its own).
    "INBOUND_UNKNOWN_SENDER": "quarantine",
    # The authserv-ids of your ESP's receiving hosts (the first word of the Authentication-Results header
    # they add, e.g. ["mx.google.com"]). Only their verdicts (SPF, DKIM, DMARC) are read: any other such
    # header could have been written by the sender. Empty: no verdict is read (see the README's trust model).
    "INBOUND_AUTHSERV_IDS": [],
    # A mail that claims to come from an agent but is not proven (their own reply token and DKIM/DMARC
    # passing for their domain): "quarantine" (held for a supervisor) or "internal_note" (added to the
    # ticket as an internal note marked unverified). Never a public reply.
    "INBOUND_UNVERIFIED_AGENT": "quarantine",
    # At most this many mails per sender and hour are processed; the rest are kept, ignored, never
    # answered (a loop with another robot stops here).
    "INBOUND_HOURLY_LIMIT": 30,
    # The task queue that mail tasks are enqueued on.
    "TASK_QUEUE": "default",
    # Accepted posts allowed per client address: action -> (count, window in seconds); a missing action or
    # None lifts its limit. A post the page turns down (a mistake in the form) does not count against its
    # action but against "invalid", a higher limit; "find_recipient" is per recipient address (whatever
    # the client): at most this many "find my tickets" mails to one mailbox. See wagtail_support.limits.
    "RATE_LIMITS": {
        "submit": (5, 60 * 60),
        "reply": (30, 60 * 60),
        "find": (5, 60 * 60),
        "invalid": (30, 60 * 60),
        "find_recipient": (3, 60 * 60),
        # Ratings sent from a rating link or a ticket's page.
        "rate": (30, 60 * 60),
    },
    # The cache alias that keeps the counts (share one cache between web servers).
    "RATE_LIMIT_CACHE": "default",
    # The request.META key with the client address behind a proxy, e.g. "HTTP_X_FORWARDED_FOR".
    "CLIENT_IP_HEADER": None,
    # The longest description of a ticket (and visitor's reply), in characters: checked in the browser
    # (maxlength) and on the server. Longer text belongs in an attached file. A post larger than Django's
    # DATA_UPLOAD_MAX_MEMORY_SIZE is still answered with the form and this error when
    # wagtail_support.middleware.OversizedFormMiddleware is installed (the text cut to this length).
    "DESCRIPTION_MAX_LENGTH": 20_000,
    # Tickets per page in "My tickets".
    "TICKETS_PER_PAGE": 20,
    # A ticket page shows the first message and this many of the newest; a link shows the ones between.
    # None shows every message.
    "CONVERSATION_WINDOW": 50,
    # At most this many tickets are linked in a "find my tickets" mail (the most recent first).
    "FIND_TICKETS_LIMIT": 20,
    # More language codes -> PostgreSQL text search configurations for the FAQ's search (added to those of
    # wagtail_support.faq.SEARCH_CONFIGS, e.g. {"hu": "hungarian"}); a language without one uses "simple".
    "FAQ_SEARCH_CONFIGS": {},
    # When an agent merges a ticket into another, its requester and the other ticket's requester are each
    # mailed that the conversation goes on in the other ticket (the "merged" mail). False: nobody is told.
    "MERGE_NOTIFY_REQUESTERS": True,
    # How long after a closing its requester may rate it (or change their rating), in days; 0 offers no rating.
    "RATING_DAYS": 14,
    # How long a closed ticket keeps its people and its words, in days after its closing: then support_tick
    # erases them (wagtail_support.privacy: names, addresses, messages, files and mail records go; numbers,
    # dates, teams, statuses and ratings stay for the reports). None keeps everything forever.
    "RETENTION_DAYS": None,
    # Requests allowed per API token (``wagtail_support.api``), in DRF's "number/period" form (period: s, m, h,
    # d): "read" for GET, HEAD and OPTIONS, "write" for the rest. A missing key or None lifts that limit. The
    # counts live in RATE_LIMIT_CACHE.
    "API_RATES": {"read": "120/min", "write": "30/min"},
    # The time zone whose days, weeks and months the reports count in (None: settings.TIME_ZONE).
    "REPORTS_TIME_ZONE": None,
    # PostgreSQL's work_mem for the reports' percentile queries, for their transaction only ("" or None: the
    # server's own, 4 MB by default, with which a year's durations are sorted on disk).
    "REPORTS_WORK_MEM": "64MB",
    # Outgoing webhooks: may a webhook post to a private, loopback, link-local or reserved address (an
    # address inside your network)? False: every address the host name resolves to is checked before each
    # delivery, and a delivery to such an address fails with a clear error.
    "WEBHOOK_ALLOW_PRIVATE": False,
    # Seconds a webhook delivery waits to connect, then for each read of the answer.
    "WEBHOOK_TIMEOUTS": (5, 10),
    # Minutes between the attempts of a delivery that failed; after the last one it is given up.
    "WEBHOOK_RETRY_MINUTES": (1, 5, 30, 120, 720),
}


class SupportSettings:
    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown wagtail-support setting: {name}")
        return getattr(settings, f"WAGTAILSUPPORT_{name}", DEFAULTS[name])

    @property
    def from_email(self):
        return self.FROM_EMAIL or settings.DEFAULT_FROM_EMAIL


support_settings = SupportSettings()

