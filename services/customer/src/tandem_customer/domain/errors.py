"""Why the customer domain refuses a command."""

from __future__ import annotations

from tandem_kit.errors import Conflict, DomainError, Forbidden, IllegalTransition, NotFound


class CustomerNotFound(NotFound):
    def __init__(self, customer_id: object) -> None:
        super().__init__(f"customer {customer_id} not found", field="customer_id")


class RecordNotFound(NotFound):
    def __init__(self, kind: str, record_id: object, field: str | None = None) -> None:
        super().__init__(f"{kind} {record_id} not found", field=field or f"{kind}_id")


class InvalidCustomer(DomainError):
    pass


class InvalidRecord(DomainError):
    """Bad input for a contact, activity, lead, ticket, segment or campaign."""


class DuplicateCustomer(Conflict):
    """A new customer looks like existing ones; the body lists them."""

    def __init__(self, duplicates: list[dict[str, object]]) -> None:
        super().__init__(
            "likely duplicate of an existing customer (same legal id, name or email); "
            "merge, or repeat with allow_duplicates=true",
            field="name",
        )
        self.duplicates = duplicates

    def body(self) -> dict[str, object]:
        return {**super().body(), "duplicates": self.duplicates}


__all__ = [
    "Conflict",
    "CustomerNotFound",
    "DuplicateCustomer",
    "Forbidden",
    "IllegalTransition",
    "InvalidCustomer",
    "InvalidRecord",
    "RecordNotFound",
]
