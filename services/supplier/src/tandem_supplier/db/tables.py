"""Supplier tables, mapped imperatively onto the domain classes (the domain stays pure)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Enum,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Uuid,
)
from sqlalchemy.orm import registry

from tandem_kit.db import NAMING, Money, UTCDateTime
from tandem_supplier.domain.certification import Certification
from tandem_supplier.domain.offer import Offer, OfferStatus
from tandem_supplier.domain.scorecard import Scorecard
from tandem_supplier.domain.supplier import RiskLevel, Supplier, SupplierStatus

metadata = MetaData(naming_convention=NAMING)
mapper_registry = registry(metadata=metadata)


def _enum(kind: type[StrEnum], length: int = 20) -> Enum:
    return Enum(
        kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


suppliers = Table(
    "suppliers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("normalized_name", String(200), nullable=False),
    Column("legal_id", String(64), nullable=False),
    Column("categories", JSON, nullable=False),
    Column("risk_level", _enum(RiskLevel), nullable=False),
    Column("contacts", JSON, nullable=False),
    Column("status", _enum(SupplierStatus), nullable=False),
    Column("status_reason", String(500), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_suppliers_created_at_id", "created_at", "id"),
    Index("ix_suppliers_status", "status"),
    Index("uq_suppliers_legal_id", "legal_id", unique=True),
    Index("uq_suppliers_normalized_name", "normalized_name", unique=True),
)

certifications = Table(
    "certifications",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("supplier_id", Uuid, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("issuer", String(200), nullable=False),
    Column("number", String(100), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    # Set in the same transaction as the outbox row: each notice is published once.
    Column("expiring_notified_on", Date, nullable=True),
    Column("expired_notified_on", Date, nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_certifications_supplier_id", "supplier_id", "valid_until"),
    Index("ix_certifications_pending_expiry", "expired_notified_on", "valid_until"),
)

offers = Table(
    "offers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("supplier_id", Uuid, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("unit_price", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("lead_time_days", Integer, nullable=False),
    Column("minimum_order_quantity", Numeric(18, 4), nullable=False),
    Column("valid_from", Date, nullable=True),
    Column("valid_until", Date, nullable=True),
    Column("status", _enum(OfferStatus), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_offers_supplier_id", "supplier_id", "created_at", "id"),
    Index("ix_offers_sku", "sku"),
)

scorecards = Table(
    "scorecards",
    metadata,
    Column("supplier_id", Uuid, primary_key=True),
    Column("score", Numeric(5, 2), nullable=True),
    Column("standing", String(20), nullable=True),
    Column("period_start", Date, nullable=True),
    Column("period_end", Date, nullable=True),
    Column("criteria", JSON, nullable=False),
    Column("evidence_as_of", UTCDateTime, nullable=True),
    Column("basis", Integer, nullable=False),
    Column("computed_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_scorecards_standing", "standing"),
)

_mapped = False


def start_mappers() -> None:
    """Map domain classes once per process (idempotent)."""
    global _mapped
    if _mapped:
        return
    for cls, table in (
        (Supplier, suppliers),
        (Certification, certifications),
        (Offer, offers),
        (Scorecard, scorecards),
    ):
        mapper_registry.map_imperatively(
            cls, table, version_id_col=table.c.version, version_id_generator=False
        )
    _mapped = True
