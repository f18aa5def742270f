"""Commands: what a caller asks the supplier service to do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tandem_supplier.domain.supplier import Contact, RiskLevel


@dataclass(frozen=True)
class RegisterSupplier:
    name: str
    legal_id: str
    categories: list[str]
    risk_level: RiskLevel = RiskLevel.MEDIUM
    contacts: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class ReviseSupplier:
    supplier_id: uuid.UUID
    name: str | None = None
    categories: list[str] | None = None
    risk_level: RiskLevel | None = None
    contacts: tuple[Contact, ...] | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class ChangeSupplierStatus:
    supplier_id: uuid.UUID
    action: str
    reason: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class RecordCertification:
    supplier_id: uuid.UUID
    kind: str
    issuer: str
    number: str
    valid_from: date
    valid_until: date


@dataclass(frozen=True)
class PublishOffer:
    supplier_id: uuid.UUID
    sku: str
    unit_price: Decimal
    currency: str
    lead_time_days: int
    minimum_order_quantity: Decimal
    valid_from: date | None = None
    valid_until: date | None = None


@dataclass(frozen=True)
class ReviseOffer:
    offer_id: uuid.UUID
    unit_price: Decimal
    currency: str
    lead_time_days: int
    minimum_order_quantity: Decimal
    valid_from: date | None = None
    valid_until: date | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class WithdrawOffer:
    offer_id: uuid.UUID
    expected_version: int | None = None
