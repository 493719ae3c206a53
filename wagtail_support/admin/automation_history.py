"""How the history reads the automation's log entries (``support_tick``: reminders, closing without a
reply, service level warnings and breaches). Registered by ``wagtail_hooks`` with the ticket's others."""

from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import LogFormatter

from ..workflow import LOG_PREFIX

AUTOMATION_ACTION = f"{LOG_PREFIX}.automation"

STEP_MESSAGES = {
    "reminder": _("Reminded the requester that the ticket waits for their reply"),
    "second_reminder": _("Reminded the requester a second time"),
    "auto_close": _("Closed the ticket: no reply from the requester"),
    "sla_warning": _("Warned the team: a service level target is due soon"),
    "sla_breach": _("Told the supervisors: a service level target was missed"),
}


def register_automation_log_actions(actions):
    @actions.register_action(AUTOMATION_ACTION)
    class AutomationFormatter(LogFormatter):
        label = _("Ticket: automation")

        def format_message(self, log_entry):
            step = (log_entry.data or {}).get("step", "")
            return STEP_MESSAGES.get(step, _("Automation step"))
