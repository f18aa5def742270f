"""What happened in the supplier domain, in domain words (translated to contracts in events/)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class SupplierRegistered:
    supplier_id: uuid.UUID


@dataclass(frozen=True)
class SupplierChanged:
    supplier_id: uuid.UUID
    fields: tuple[str, ...]


@dataclass(frozen=True)
class SupplierStatusChanged:
    supplier_id: uuid.UUID
    previous_status: str
    reason: str | None


@dataclass(frozen=True)
class CertificationRecorded:
    certification_id: uuid.UUID
    mandatory: bool


@dataclass(frozen=True)
class CertificationExpiring:
    certification_id: uuid.UUID
    days_left: int
    mandatory: bool


@dataclass(frozen=True)
class CertificationExpired:
    certification_id: uuid.UUID
    mandatory: bool


@dataclass(frozen=True)
class OfferPublished:
    offer_id: uuid.UUID


@dataclass(frozen=True)
class OfferWithdrawn:
    offer_id: uuid.UUID


@dataclass(frozen=True)
class ScorecardUpdated:
    supplier_id: uuid.UUID


@dataclass(frozen=True)
class StandingChanged:
    supplier_id: uuid.UUID
    previous_standing: str | None
    standing: str
