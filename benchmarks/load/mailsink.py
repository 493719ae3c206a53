"""An ESP for the load test: an Anymail backend that writes every mail it accepts to a file.

Each accepted mail is one JSON line in ``settings.LOAD_MAIL_SINK`` (our Message-ID, the mail record's id
from the Anymail metadata, recipients, subject, the "ESP" message id, the process, the time), appended
with one ``write`` on a file opened with ``O_APPEND`` under an exclusive lock, so any number of worker
processes can share the file. While the file ``settings.LOAD_ESP_DOWN_FLAG`` exists, the "ESP" refuses
every mail with an ``AnymailAPIError``, as a real ESP's API does when it is down, and the refusal is
written to the sink too (``"refused": true``).

It extends Anymail's test backend (its payload, its parsing of the message), without keeping the mails
in memory (``django.core.mail.outbox`` would grow for the whole run).
"""

import fcntl
import json
import os
import time
import uuid

from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.exceptions import AnymailAPIError
from anymail.message import AnymailRecipientStatus
from django.conf import settings


def append_line(path, record):
    """Append ``record`` as one JSON line to ``path``, safely from several processes."""
    line = (json.dumps(record, sort_keys=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
    finally:
        os.close(fd)


class EmailBackend(AnymailTestBackend):
    esp_name = "LoadSink"

    def post_to_esp(self, payload, message):
        params = payload.get_params()
        headers = {key.lower(): value for key, value in (message.extra_headers or {}).items()}
        record = {
            "message_id": headers.get("message-id", ""),
            "support_mail": (params.get("metadata") or {}).get("support_mail", ""),
            "event": (params.get("metadata") or {}).get("event", ""),
            "to": list(payload.recipient_emails),
            "subject": params.get("subject", ""),
            "pid": os.getpid(),
            "t": time.time(),
        }
        if os.path.exists(settings.LOAD_ESP_DOWN_FLAG):
            append_line(settings.LOAD_MAIL_SINK, {**record, "refused": True})
            raise AnymailAPIError(
                "LoadSink API response 503 (the ESP is down: load test fault)",
                email_message=message,
                payload=payload,
                backend=self,
            )
        esp_id = uuid.uuid4().hex
        append_line(settings.LOAD_MAIL_SINK, {**record, "esp_id": esp_id, "refused": False})
        status = AnymailRecipientStatus(message_id=esp_id, status="sent")
        return {"recipient_status": {email: status for email in payload.recipient_emails}}
