"""Customer tables, mapped imperatively onto the domain classes (the domain stays pure)."""

from __future__ import annotations

from sqlalchemy import Column, Enum, Index, Integer, MetaData, String, Table, Uuid
from sqlalchemy.orm import registry

from tandem_customer.domain.model import Customer, CustomerStatus
from tandem_kit.db import NAMING, Money, UTCDateTime

metadata = MetaData(naming_convention=NAMING)
mapper_registry = registry(metadata=metadata)

customers = Table(
    "customers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=True),
    Column("legal_id", String(64), nullable=True),
    Column("credit_limit", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column(
        "status",
        Enum(
            CustomerStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        nullable=False,
    ),
    Column("owner", String(200), nullable=True),
    Column("industry", String(100), nullable=True),
    Column("segment", String(100), nullable=True),
    Column("tier", String(20), nullable=True),
    Column("merged_into", Uuid, nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_customers_created_at_id", "created_at", "id"),
    Index("ix_customers_status", "status"),
    Index("ix_customers_legal_id", "legal_id"),
)

_mapped = False


def start_mappers() -> None:
    """Map domain classes once per process (idempotent)."""
    global _mapped
    if _mapped:
        return
    mapper_registry.map_imperatively(
        Customer,
        customers,
        version_id_col=customers.c.version,
        version_id_generator=False,
    )
    _mapped = True
