"""The workflow's refusals: a move refused with a sentence a person can read (``str(error)``), and the
form field it is about (``error.field``), for the page that shows it. Raised by ``workflow``; imported from
there (``workflow.InvalidInput``...) by the views, the admin and the inbound handler."""


class WorkflowError(Exception):
    """A move the workflow refuses. ``str(error)`` is a translated sentence for the person who asked."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self):
        return str(self.message)


class IllegalTransition(WorkflowError):
    """The move does not exist from the ticket's current status."""


class NotAllowed(WorkflowError):
    """The actor may not make this move on this ticket."""


class TicketChanged(WorkflowError):
    """The ticket changed since the actor's form was shown; nothing was applied."""


class InvalidInput(WorkflowError):
    """A required value is missing or wrong."""


class ReopenWindowExpired(IllegalTransition):
    """A requester answered a ticket closed longer ago than the reopen window."""


class ConflictingChanges(TicketChanged):
    """The ticket changed since the actor's form was shown, on what the form changes too; nothing was
    applied. ``conflicts`` are those changes, ``changes`` everything that changed meanwhile (both lists
    of ``workflow.Change``: the field, its old and new value as a person reads them, and who)."""

    def __init__(self, message, conflicts=(), changes=(), field=None):
        super().__init__(message, field=field)
        self.conflicts = list(conflicts)
        self.changes = list(changes)
