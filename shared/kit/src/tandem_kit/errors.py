"""Error kinds every service's domain raises; the HTTP layer maps each to one status code.

Pure Python on purpose: domain modules may subclass these without importing any framework.
"""

from __future__ import annotations

from collections.abc import Iterable


class DomainError(Exception):
    """A command that the rules refuse (422 unless a subclass says otherwise)."""

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {"detail": self.message, "code": type(self).__name__}
        if self.field:
            body["field"] = self.field
        return body


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class IllegalTransition(Conflict):
    """A state change not allowed from the current state; names the allowed ones."""

    def __init__(self, entity: str, current: str, action: str, allowed: Iterable[str]) -> None:
        self.current = current
        self.action = action
        self.allowed = sorted(allowed)
        super().__init__(
            f"cannot {action} a {entity} that is {current}; allowed from "
            f"{current}: {', '.join(self.allowed) or 'nothing'}"
        )

    def body(self) -> dict[str, object]:
        return {
            **super().body(),
            "current_status": self.current,
            "allowed_transitions": self.allowed,
        }


class PreconditionFailed(DomainError):
    """If-Match names a version that is no longer current."""

    status_code = 412


class Forbidden(DomainError):
    status_code = 403
