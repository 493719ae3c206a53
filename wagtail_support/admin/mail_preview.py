"""What a mail looked like, for the mail logs' inspect views (``admin.viewsets``): the subject, the
sender, the recipients and the bodies.

- An outgoing mail is rendered again the way the delivery renders it (``notifications.render``). Its
  signed links and reply tokens are blanked out: a preview must not hand a supervisor the key to act as
  the requester. Its HTML (our own templates) is shown in an ``<iframe sandbox="">`` through ``srcdoc``:
  no script runs, nothing reaches the admin page.
- An incoming mail is read from the copy kept of it (``raw``); its HTML, written by anyone, is shown as
  plain text only (``inbound.html.html_to_text``), never as markup, and loads nothing.
"""

import email
import email.policy
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ..inbound.html import html_to_text
from ..notifications.render import RefusedMail, build_email

# Django's signed values ("payload:timestamp:signature", also URL-quoted): the requester's signed links.
SIGNED_VALUE = re.compile(r"\.?[A-Za-z0-9_\-]{8,}(?::|%3A)[A-Za-z0-9_\-]{4,}(?::|%3A)[A-Za-z0-9_\-]{20,}")
# "+t<ticket>-<issued>-...-<signature>@": the reply token of a Reply-To address.
REPLY_TOKEN = re.compile(r"\+t[0-9a-z]+(?:-[0-9a-z]+){2,3}@", re.IGNORECASE)
HIDDEN = "…"


def blank_tokens(text):
    """``text`` without signed links or reply tokens (each replaced by "…")."""
    text = SIGNED_VALUE.sub(HIDDEN, text or "")
    return REPLY_TOKEN.sub(f"+{HIDDEN}@", text)


@dataclass
class MailPreview:
    subject: str = ""
    from_address: str = ""
    to: list = field(default_factory=list)
    reply_to: list = field(default_factory=list)
    text: str = ""
    html: str = ""  # for an iframe's srcdoc (escaped by the template), outgoing mail only
    html_as_text: str = ""  # an incoming mail's HTML part, made plain text
    problem: str = ""  # why there is no preview


def outbound_preview(mail):
    """The outgoing ``mail`` as the delivery would build it now (its templates may have changed since)."""
    try:
        message = build_email(mail)
    except RefusedMail:
        return MailPreview(problem=_("This mail is not sent to this recipient, so it has no preview."))
    html = next((content for content, mimetype in message.alternatives if mimetype == "text/html"), "")
    return MailPreview(
        subject=message.subject,
        from_address=message.from_email,
        to=list(message.to),
        reply_to=[blank_tokens(address) for address in message.reply_to],
        text=blank_tokens(message.body),
        html=blank_tokens(html),
    )


def inbound_preview(record):
    """The incoming mail from the copy kept of it; without one, what is recorded of it."""
    if not record.raw:
        return MailPreview(
            subject=record.subject,
            from_address=record.from_email,
            to=[address for address in re.split(r"[,\s]+", record.recipients or "") if address],
            text=record.message.body if record.message_id else "",
            problem="" if record.message_id else _("No copy of this mail was kept."),
        )
    parsed = email.message_from_string(record.raw, policy=email.policy.default)
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    return MailPreview(
        subject=str(parsed.get("Subject", record.subject) or ""),
        from_address=str(parsed.get("From", record.from_email) or ""),
        to=[str(value) for value in (parsed.get_all("To") or [])] or [record.recipients],
        reply_to=[str(value) for value in (parsed.get_all("Reply-To") or [])],
        text=_part_content(text_part),
        html_as_text=html_to_text(_part_content(html_part)) if html_part is not None else "",
    )


def _part_content(part):
    if part is None:
        return ""
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AttributeError):
        # An unknown charset or a broken part: the bytes as far as they read.
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")
