"""Sales tables: the customer read model (orders, quotes and the catalog join it later)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Uuid
from sqlalchemy.orm import registry

from tandem_kit.db import NAMING, Money, UTCDateTime
from tandem_sales.domain.customers import CustomerAccount

metadata = MetaData(naming_convention=NAMING)
mapper_registry = registry(metadata=metadata)

customer_accounts = Table(
    "customer_accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("credit_limit", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("merged_into", Uuid, nullable=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

_mapped = False


def start_mappers() -> None:
    global _mapped
    if _mapped:
        return
    mapper_registry.map_imperatively(CustomerAccount, customer_accounts)
    _mapped = True
