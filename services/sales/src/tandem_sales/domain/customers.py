"""Sales' own view of customers, kept from customer events (never fetched over HTTP)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

# Statuses in which a customer may not get new confirmed orders.
REFUSING_STATUSES = frozenset({"blocked", "on_hold", "archived", "merged"})


@dataclass(eq=False)
class CustomerAccount:
    """The latest known state of one customer, as of the customer service's ``version``."""

    id: uuid.UUID
    name: str
    status: str
    credit_limit: Decimal
    currency: str
    version: int
    updated_at: datetime
    merged_into: uuid.UUID | None = None

    def pull_events(self) -> list[object]:
        return []

    def apply(self, newer: CustomerAccount) -> bool:
        """Take the state of ``newer`` if it is a later version; False when it is stale."""
        if newer.version <= self.version:
            return False
        self.name, self.status = newer.name, newer.status
        self.credit_limit, self.currency = newer.credit_limit, newer.currency
        self.merged_into, self.version = newer.merged_into, newer.version
        self.updated_at = newer.updated_at
        return True
