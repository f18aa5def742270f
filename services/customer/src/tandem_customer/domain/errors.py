"""Why the customer domain refuses a command."""

from __future__ import annotations

from tandem_kit.errors import DomainError, IllegalTransition, NotFound


class CustomerNotFound(NotFound):
    def __init__(self, customer_id: object) -> None:
        super().__init__(f"customer {customer_id} not found", field="customer_id")


class InvalidCustomer(DomainError):
    pass


__all__ = ["CustomerNotFound", "IllegalTransition", "InvalidCustomer"]
