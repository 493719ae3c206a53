"""What the receiving side says about a mail's sender: SPF, DKIM and DMARC verdicts, and spam.

A mail's ``From:`` proves nothing (invariant 7). What a sender cannot forge is what the receiving host
found when the mail arrived: it records its checks in an ``Authentication-Results`` header (RFC 8601) at
the top of the mail. A sender can write such headers too, so only the headers of the hosts named in
``WAGTAILSUPPORT_INBOUND_AUTHSERV_IDS`` are read (the authserv-id is the first word of the header, e.g.
``mx.google.com``, ``amazonses.com``: look at the topmost ``Authentication-Results`` header of a mail your
ESP delivered), and of those only the topmost, which that host added last. A conforming receiving host
(RFC 8601, section 5) removes headers claiming its own authserv-id from incoming mail. With the setting
empty, no header is read and the verdict is unknown.

Anymail's ``spam_detected`` (the ESP's own verdict, where it gives one) is the other verdict used.
"""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ..conf import support_settings

FAILED = frozenset({"fail", "softfail", "permerror"})
_COMMENT = re.compile(r"\([^()]*\)")
_PROPERTY = re.compile(r"([a-z]+\.[a-z0-9_-]+)\s*=\s*(\"[^\"]*\"|[^\s;]+)", re.I)


@dataclass(frozen=True)
class Verdict:
    """The receiving host's results for one mail; empty strings where it said nothing."""

    authserv_id: str = ""
    spf: str = ""
    spf_domain: str = ""
    dkim: str = ""  # "pass" when any signature passed, else the first result
    dkim_domains: tuple = ()  # the domains (d=) whose signatures passed
    dmarc: str = ""
    dmarc_domain: str = ""  # header.from
    spam: bool | None = None
    raw: str = field(default="", compare=False)

    @property
    def known(self):
        """Whether the receiving side said anything about the sender's authentication."""
        return bool(self.spf or self.dkim or self.dmarc)

    @property
    def failed(self):
        """DMARC failed, or both SPF and DKIM failed: the mail was not sent by its ``From:`` domain."""
        return self.dmarc in FAILED or (self.spf in FAILED and self.dkim in FAILED)

    def passes_for(self, address):
        """Whether DMARC passed for the address's domain, or a DKIM signature of that domain (or of a
        domain it is a subdomain of, as DMARC's relaxed alignment allows) passed."""
        domain = (address or "").rpartition("@")[2].strip().lower()
        if not domain:
            return False
        if self.dmarc == "pass" and self.dmarc_domain == domain:
            return True
        return any(domain == signer or domain.endswith("." + signer) for signer in self.dkim_domains)

    def as_dict(self):
        return {
            key: value
            for key, value in {
                "authserv_id": self.authserv_id,
                "spf": self.spf,
                "dkim": self.dkim,
                "dkim_domains": list(self.dkim_domains),
                "dmarc": self.dmarc,
                "dmarc_domain": self.dmarc_domain,
                "spam": self.spam,
            }.items()
            if value not in ("", None, [])
        }

    def describe(self):
        """The verdict in a line a supervisor reads: "spf=fail dkim=fail dmarc=fail (mx.example.net)"."""
        parts = [f"{name}={value}" for name, value in (("spf", self.spf), ("dkim", self.dkim), ("dmarc", self.dmarc)) if value]
        if not parts:
            return ""
        return " ".join(parts) + (f" ({self.authserv_id})" if self.authserv_id else "")


def _strip_comments(value):
    previous = None
    while previous != value:
        previous, value = value, _COMMENT.sub(" ", value)
    return value


def parse(header):
    """``(authserv_id, [(method, result, {property: value})])`` of one ``Authentication-Results`` value."""
    value = _strip_comments(" ".join(str(header).split()))
    parts = [part.strip() for part in value.split(";")]
    head = parts[0].split()
    authserv_id = head[0].lower() if head and "=" not in head[0] else ""
    results = []
    for part in parts[1:] if authserv_id or not head else parts:
        match = re.match(r"([a-z0-9_-]+)\s*=\s*([a-z0-9_-]+)", part, re.I)
        if not match:
            continue
        properties = {key.lower(): val.strip('"').lower() for key, val in _PROPERTY.findall(part[match.end():])}
        results.append((match.group(1).lower(), match.group(2).lower(), properties))
    return authserv_id, results


def _domain(value):
    return (value or "").rpartition("@")[2].strip().lower()


def read_verdict(message, trusted_ids=None):
    """The ``Verdict`` of the topmost ``Authentication-Results`` header of a trusted host, with the ESP's
    spam verdict; an unknown verdict when no trusted host is configured or none added a header."""
    trusted = {value.strip().lower() for value in (support_settings.INBOUND_AUTHSERV_IDS if trusted_ids is None else trusted_ids) or []}
    spam = getattr(message, "spam_detected", None)
    if trusted:
        for header in message.get_all("Authentication-Results", []) or []:
            authserv_id, results = parse(header)
            if authserv_id not in trusted:
                continue
            return _verdict(authserv_id, results, spam, str(header))
    return Verdict(spam=spam)


def _verdict(authserv_id, results, spam, raw):
    spf = spf_domain = dkim = dmarc = dmarc_domain = ""
    dkim_domains = []
    for method, result, properties in results:
        if method == "spf" and not spf:
            spf = result
            spf_domain = _domain(properties.get("smtp.mailfrom") or properties.get("smtp.helo"))
        elif method == "dkim":
            signer = _domain(properties.get("header.d") or properties.get("header.i"))
            if result == "pass":
                dkim = "pass"
                if signer:
                    dkim_domains.append(signer)
            elif not dkim:
                dkim = result
        elif method == "dmarc" and not dmarc:
            dmarc = result
            dmarc_domain = _domain(properties.get("header.from"))
    return Verdict(
        authserv_id=authserv_id,
        spf=spf,
        spf_domain=spf_domain,
        dkim=dkim,
        dkim_domains=tuple(dict.fromkeys(dkim_domains)),
        dmarc=dmarc,
        dmarc_domain=dmarc_domain,
        spam=spam,
        raw=raw,
    )


# Who a mail speaks for ------------------------------------------------------------------------------------


def agent_proven(sender, token, verdict):
    """A mail from an agent's address is the agent's only with their own reply token (sent to that
    address, not the requester's) and the receiving side's proof that the address's domain sent it."""
    return token is not None and token.names(sender) and verdict.passes_for(sender) and not verdict.failed


def missing_proof(sender, token, verdict):
    """What is missing for a mail from ``sender`` to be the agent's own, in words for the record."""
    missing = []
    if token is None:
        missing.append(_("it came back without a reply token of ours"))
    elif not token.names(sender):
        missing.append(_("its reply token was sent to someone else"))
    if not verdict.known:
        missing.append(_("the receiving server gave no verdict on the sender"))
    elif not verdict.passes_for(sender) or verdict.failed:
        missing.append(_("DKIM/DMARC did not pass for %(domain)s (%(verdict)s)") % {
            "domain": sender.rpartition("@")[2], "verdict": verdict.describe()})
    return missing


def failed_note(sender, verdict):
    """Why a mail whose sender failed authentication is held, for the record."""
    return _("The receiving server could not authenticate %(sender)s: %(verdict)s.") % {
        "sender": sender, "verdict": verdict.describe()}
