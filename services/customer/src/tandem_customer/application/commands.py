"""Commands: what a caller asks the customer service to do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class RegisterCustomer:
    name: str
    email: str | None
    credit_limit: Decimal
    currency: str
    legal_id: str | None = None
    owner: str | None = None
    industry: str | None = None


@dataclass(frozen=True)
class ChangeCustomerStatus:
    customer_id: uuid.UUID
    action: str
    reason: str | None = None
    expected_version: int | None = None
