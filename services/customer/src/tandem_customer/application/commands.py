"""Commands: what a caller asks the customer service to do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tandem_customer.application.access import SYSTEM, Actor


@dataclass(frozen=True)
class RegisterCustomer:
    name: str
    email: str | None
    credit_limit: Decimal
    currency: str
    legal_id: str | None = None
    owner: str | None = None
    industry: str | None = None
    segment: str | None = None
    allow_duplicates: bool = True
    actor: Actor = SYSTEM


@dataclass(frozen=True)
class ChangeCustomerStatus:
    customer_id: uuid.UUID
    action: str
    reason: str | None = None
    expected_version: int | None = None
    actor: Actor = SYSTEM


@dataclass(frozen=True)
class UpdateCustomer:
    customer_id: uuid.UUID
    changes: dict[str, Any]
    expected_version: int | None = None
    actor: Actor = SYSTEM


@dataclass(frozen=True)
class MergeCustomers:
    source_id: uuid.UUID
    survivor_id: uuid.UUID
    expected_version: int | None = None
    actor: Actor = SYSTEM


@dataclass(frozen=True)
class CaptureLead:
    name: str
    details: dict[str, Any] = field(default_factory=dict)
    owner: str | None = None
    actor: Actor = SYSTEM


@dataclass(frozen=True)
class ChangeLead:
    lead_id: uuid.UUID
    action: str  # qualify, disqualify, reopen, assign
    reason: str | None = None
    owner: str | None = None
    expected_version: int | None = None
    actor: Actor = SYSTEM


@dataclass(frozen=True)
class ConvertLead:
    lead_id: uuid.UUID
    customer_id: uuid.UUID | None = None
    opportunity_name: str | None = None
    credit_limit: Decimal = Decimal(0)
    allow_duplicates: bool = False
    expected_version: int | None = None
    actor: Actor = SYSTEM
