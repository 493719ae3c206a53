"""A mail backend whose ESP is down: every send raises ``AnymailAPIError``.

Point ``EMAIL_BACKEND`` at ``tests.failing_backend.FailingBackend``; ``FailingBackend.attempts`` lists
the messages it was asked to send, so a test can tell that a send was tried and failed.
"""

from anymail.exceptions import AnymailAPIError
from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    attempts = []

    def send_messages(self, email_messages):
        FailingBackend.attempts.extend(email_messages)
        raise AnymailAPIError("The ESP is unavailable (simulated by tests.failing_backend)")
