"""Why the procurement domain refuses a command."""

from __future__ import annotations

from tandem_kit.errors import Conflict, DomainError, Forbidden, IllegalTransition, NotFound


class InvalidRequest(DomainError):
    """A command whose values break a rule (422, naming the field)."""


class Missing(NotFound):
    def __init__(self, what: str, ident: object, field: str | None = None) -> None:
        super().__init__(f"{what} {ident} not found", field=field)


class SegregationOfDuties(Forbidden):
    """The requester of a requisition may not decide on it."""

    def __init__(self, subject: str) -> None:
        super().__init__(
            f"{subject} raised this requisition and may not approve or reject it",
            field="approver",
        )


class NotAnApprover(Forbidden):
    pass


class AlreadyDecided(Conflict):
    pass


__all__ = [
    "AlreadyDecided",
    "Conflict",
    "IllegalTransition",
    "InvalidRequest",
    "Missing",
    "NotAnApprover",
    "SegregationOfDuties",
]
