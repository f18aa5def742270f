"""The customer (account) aggregate and its lifecycle."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from tandem_customer.domain import events
from tandem_customer.domain.errors import IllegalTransition, InvalidCustomer


class CustomerStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    BLOCKED = "blocked"
    ARCHIVED = "archived"
    MERGED = "merged"


# action -> (states it is allowed from, resulting state)
TRANSITIONS: dict[str, tuple[frozenset[CustomerStatus], CustomerStatus]] = {
    "activate": (
        frozenset({CustomerStatus.PROSPECT, CustomerStatus.ON_HOLD, CustomerStatus.BLOCKED}),
        CustomerStatus.ACTIVE,
    ),
    "hold": (frozenset({CustomerStatus.ACTIVE}), CustomerStatus.ON_HOLD),
    "block": (
        frozenset({CustomerStatus.PROSPECT, CustomerStatus.ACTIVE, CustomerStatus.ON_HOLD}),
        CustomerStatus.BLOCKED,
    ),
    "archive": (
        frozenset(
            {
                CustomerStatus.PROSPECT,
                CustomerStatus.ACTIVE,
                CustomerStatus.ON_HOLD,
                CustomerStatus.BLOCKED,
            }
        ),
        CustomerStatus.ARCHIVED,
    ),
}


def allowed_actions(status: CustomerStatus) -> list[str]:
    return sorted(a for a, (sources, _) in TRANSITIONS.items() if status in sources)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(eq=False)
class Customer:
    id: uuid.UUID
    name: str
    email: str | None
    legal_id: str | None
    credit_limit: Decimal
    currency: str
    status: CustomerStatus = CustomerStatus.PROSPECT
    owner: str | None = None
    industry: str | None = None
    segment: str | None = None
    tier: str | None = None
    merged_into: uuid.UUID | None = None
    version: int = 1
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)

    @property
    def _events(self) -> list[events.DomainEvent]:
        # Loaded objects skip __init__; keep the event list lazily in the instance dict.
        return self.__dict__.setdefault("_pending_events", [])

    def pull_events(self) -> list[events.DomainEvent]:
        pending = list(self._events)
        self._events.clear()
        return pending

    @classmethod
    def register(
        cls,
        *,
        name: str,
        email: str | None,
        credit_limit: Decimal,
        currency: str,
        legal_id: str | None = None,
        owner: str | None = None,
        industry: str | None = None,
        customer_id: uuid.UUID | None = None,
    ) -> Customer:
        """A new prospect; raises CustomerRegistered."""
        if not name.strip():
            raise InvalidCustomer("name must not be blank", field="name")
        if credit_limit < 0:
            raise InvalidCustomer("credit limit must not be negative", field="credit_limit")
        customer = cls(
            id=customer_id or uuid.uuid4(),
            name=name.strip(),
            email=email.lower() if email else None,
            legal_id=legal_id.strip() if legal_id else None,
            credit_limit=credit_limit,
            currency=currency,
            owner=owner,
            industry=industry,
        )
        customer._events.append(events.CustomerRegistered(customer.id))
        return customer

    def change_status(self, action: str, reason: str | None = None) -> None:
        sources, target = TRANSITIONS[action]
        if self.status not in sources:
            raise IllegalTransition("customer", self.status, action, allowed_actions(self.status))
        previous = self.status
        self.status = target
        self._touch()
        self._events.append(events.CustomerStatusChanged(self.id, previous, reason))

    def _touch(self) -> None:
        self.version += 1
        self.updated_at = _now()
