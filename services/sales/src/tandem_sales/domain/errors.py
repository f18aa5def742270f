"""Why the sales domain refuses a command (kit error kinds; the HTTP layer maps them)."""

from __future__ import annotations

from typing import Any

from tandem_kit.errors import Conflict, DomainError, Forbidden, IllegalTransition, NotFound


class InvalidInput(DomainError):
    pass


class ConfirmationRefused(Conflict):
    """An order may not be confirmed; ``reason`` is a stable machine code clients can switch on.

    Codes: customer_unknown, customer_blocked, customer_on_hold, customer_archived,
    customer_merged, currency_mismatch, open_orders_in_other_currency, credit_limit_exceeded.
    """

    def __init__(
        self, reason: str, message: str, *, status_code: int = 409, **details: Any
    ) -> None:
        super().__init__(message, field="customer_id" if reason.startswith("customer") else None)
        self.status_code = status_code
        self.reason = reason
        self.details = details

    def body(self) -> dict[str, object]:
        return {**super().body(), "reason": self.reason, **self.details}


class RecordNotFound(NotFound):
    def __init__(self, kind: str, record_id: object, field: str = "id") -> None:
        super().__init__(f"{kind} {record_id} not found", field=field)


__all__ = [
    "ConfirmationRefused",
    "DomainError",
    "Forbidden",
    "IllegalTransition",
    "InvalidInput",
    "RecordNotFound",
]
