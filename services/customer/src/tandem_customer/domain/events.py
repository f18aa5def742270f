"""What happened to customers, in domain words (translated to contracts in events/)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class DomainEvent:
    customer_id: uuid.UUID


@dataclass(frozen=True)
class CustomerRegistered(DomainEvent):
    pass


@dataclass(frozen=True)
class CustomerStatusChanged(DomainEvent):
    previous_status: str
    reason: str | None
