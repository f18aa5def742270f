"""The customer (account) aggregate and its lifecycle."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from tandem_customer.domain import events
from tandem_customer.domain.base import EventSource, allowed_from, now
from tandem_customer.domain.dedup import normalise_email, normalise_legal_id, normalise_name
from tandem_customer.domain.errors import IllegalTransition, InvalidCustomer


class CustomerStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    BLOCKED = "blocked"
    ARCHIVED = "archived"
    MERGED = "merged"


_LIVE = frozenset(
    {CustomerStatus.PROSPECT, CustomerStatus.ACTIVE, CustomerStatus.ON_HOLD, CustomerStatus.BLOCKED}
)

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
    "archive": (_LIVE, CustomerStatus.ARCHIVED),
    # A merged customer is a tombstone pointing to its survivor; nothing leaves that state.
    "merge": (_LIVE | {CustomerStatus.ARCHIVED}, CustomerStatus.MERGED),
}
STATUS_ACTIONS = ("activate", "hold", "block", "archive")
EDITABLE = ("name", "email", "legal_id", "credit_limit", "currency", "owner", "industry", "segment")


def allowed_actions(status: CustomerStatus) -> list[str]:
    return allowed_from(TRANSITIONS, status)


def takes_tier(status: CustomerStatus, current: str, tier: str) -> bool:
    """Whether a customer in ``status`` holding ``current`` changes to a recalculated ``tier``
    (a merged customer keeps the tier it had)."""
    return tier != current and status != CustomerStatus.MERGED


@dataclass(eq=False)
class Customer(EventSource):
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
    status_reason: str | None = None
    name_key: str | None = None
    email_key: str | None = None
    legal_key: str | None = None
    version: int = 1
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

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
        segment: str | None = None,
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
            email=email.strip().lower() if email else None,
            legal_id=legal_id.strip() if legal_id else None,
            credit_limit=credit_limit,
            currency=currency,
            owner=owner,
            industry=industry,
            segment=segment,
        )
        customer._index()
        customer._events.append(events.CustomerRegistered(customer.id))
        return customer

    def _index(self) -> None:
        self.name_key = normalise_name(self.name)
        self.email_key = normalise_email(self.email)
        self.legal_key = normalise_legal_id(self.legal_id)

    def change_status(self, action: str, reason: str | None = None) -> None:
        if action not in STATUS_ACTIONS:
            raise InvalidCustomer(f"unknown action {action}", field="action")
        sources, target = TRANSITIONS[action]
        if self.status not in sources:
            raise IllegalTransition("customer", self.status, action, allowed_actions(self.status))
        previous = self.status
        self.status = target
        self.status_reason = reason
        self._touch()
        self._events.append(events.CustomerStatusChanged(self.id, previous, reason))

    def update(self, changes: dict[str, object]) -> bool:
        """Apply field changes (a subset of EDITABLE); raises CustomerUpdated if any differ."""
        if self.status == CustomerStatus.MERGED:
            raise IllegalTransition("customer", self.status, "update", [])
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise InvalidCustomer(f"{sorted(unknown)[0]} cannot be changed", field=min(unknown))
        if "name" in changes and not str(changes["name"] or "").strip():
            raise InvalidCustomer("name must not be blank", field="name")
        credit = changes.get("credit_limit")
        if isinstance(credit, Decimal) and credit < 0:
            raise InvalidCustomer("credit limit must not be negative", field="credit_limit")
        if isinstance(changes.get("email"), str):
            changes = {**changes, "email": str(changes["email"]).strip().lower()}
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if not changed:
            return False
        for key, value in changed.items():
            setattr(self, key, value)
        self._index()
        self._touch()
        self._events.append(events.CustomerUpdated(self.id, tuple(sorted(changed))))
        return True

    def merge_into(self, survivor: Customer) -> None:
        """Become a tombstone pointing to ``survivor``; raises CustomerMerged."""
        if survivor.id == self.id:
            raise InvalidCustomer("a customer cannot be merged into itself", field="into")
        if survivor.status not in _LIVE:
            raise InvalidCustomer(
                f"the surviving customer is {survivor.status}; merge into a live one", field="into"
            )
        sources, target = TRANSITIONS["merge"]
        if self.status not in sources:
            raise IllegalTransition("customer", self.status, "merge", allowed_actions(self.status))
        previous = self.status
        self.status = target
        self.merged_into = survivor.id
        self._touch()
        self._events.append(events.CustomerMerged(self.id, previous, survivor.id))
        # The survivor keeps what it knows and inherits what only the tombstone knew.
        gaps = {
            k: getattr(self, k)
            for k in ("email", "legal_id", "industry", "segment", "owner")
            if getattr(survivor, k) is None and getattr(self, k) is not None
        }
        if gaps:
            survivor.update(gaps)

    def change_tier(self, tier: str, value: events.ValueFacts) -> bool:
        """Record a recalculated tier; raises CustomerTierChanged when it differs."""
        if not takes_tier(self.status, self.tier, tier):
            return False
        previous = self.tier
        self.tier = tier
        self._touch()
        self._events.append(events.CustomerTierChanged(self.id, previous, value))
        return True
