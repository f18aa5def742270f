"""Sales tables, mapped imperatively onto the domain classes (the domain stays pure)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.orm import registry, relationship

from tandem_kit.db import NAMING, Money, UTCDateTime
from tandem_sales.domain.customers import CustomerAccount
from tandem_sales.domain.opportunities import Opportunity, Stage
from tandem_sales.domain.orders import OrderLine, OrderStatus, SalesOrder
from tandem_sales.domain.products import Product
from tandem_sales.domain.quotes import Quote, QuoteLine, QuoteStatus

metadata = MetaData(naming_convention=NAMING)
mapper_registry = registry(metadata=metadata)


def _enum(cls: type) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


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
    Column("owner", String(200), nullable=True),
    Column("open_total", Money, nullable=False, server_default="0"),
    Column("open_currency", String(3), nullable=True),
    Index("ix_customer_accounts_merged_into", "merged_into"),
)

products = Table(
    "products",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("sku", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("unit", String(20), nullable=False),
    Column("list_price", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

opportunities = Table(
    "opportunities",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False),
    Column("name", String(200), nullable=False),
    Column("amount", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("stage", _enum(Stage), nullable=False),
    Column("probability", Integer, nullable=False),
    Column("expected_close", Date, nullable=True),
    Column("owner", String(200), nullable=True),
    Column("lead_id", Uuid, nullable=True, unique=True),
    Column("lost_reason", String(500), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_opportunities_customer_id", "customer_id"),
    Index("ix_opportunities_created_at_id", "created_at", "id"),
    Index("ix_opportunities_owner", "owner"),
)

quotes = Table(
    "quotes",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("opportunity_id", Uuid, ForeignKey("opportunities.id"), nullable=True),
    Column("owner", String(200), nullable=True),
    Column("status", _enum(QuoteStatus), nullable=False),
    Column("order_id", Uuid, nullable=True),
    Column("reason", String(500), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_quotes_customer_id", "customer_id"),
    Index("ix_quotes_created_at_id", "created_at", "id"),
    Index("ix_quotes_status_valid_until", "status", "valid_until"),
)

quote_lines = Table(
    "quote_lines",
    metadata,
    Column("line_id", Uuid, primary_key=True),
    Column("quote_id", Uuid, ForeignKey("quotes.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Money, nullable=False),
    Column("unit_price", Money, nullable=False),
    Column("discount", Money, nullable=False),
    Index("ix_quote_lines_quote_id", "quote_id"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("owner", String(200), nullable=True),
    Column("status", _enum(OrderStatus), nullable=False),
    Column("quote_id", Uuid, nullable=True, unique=True),
    Column("credit_account_id", Uuid, nullable=True),
    Column("cancel_reason", Text, nullable=True),
    Column("confirmed_at", UTCDateTime, nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_orders_customer_id_created_at", "customer_id", "created_at"),
    Index("ix_orders_created_at_id", "created_at", "id"),
    Index("ix_orders_confirmed_at", "confirmed_at"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("line_id", Uuid, primary_key=True),
    Column("order_id", Uuid, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Money, nullable=False),
    Column("unit_price", Money, nullable=False),
    Column("requested_date", Date, nullable=True),
    Index("ix_order_lines_order_id", "order_id"),
    Index("ix_order_lines_sku", "sku"),
)

_mapped = False


def _versioned(cls: type, table: Table, **properties: object) -> None:
    mapper_registry.map_imperatively(
        cls,
        table,
        version_id_col=table.c.version,
        version_id_generator=False,
        properties=properties,
    )


def start_mappers() -> None:
    """Map domain classes once per process (idempotent)."""
    global _mapped
    if _mapped:
        return
    mapper_registry.map_imperatively(CustomerAccount, customer_accounts)
    _versioned(Product, products)
    _versioned(Opportunity, opportunities)
    mapper_registry.map_imperatively(QuoteLine, quote_lines)
    _versioned(
        Quote,
        quotes,
        lines=relationship(
            QuoteLine,
            order_by=quote_lines.c.position,
            cascade="all, delete-orphan",
            lazy="selectin",
        ),
    )
    mapper_registry.map_imperatively(OrderLine, order_lines)
    _versioned(
        SalesOrder,
        orders,
        lines=relationship(
            OrderLine,
            order_by=order_lines.c.position,
            cascade="all, delete-orphan",
            lazy="selectin",
        ),
    )
    _mapped = True
