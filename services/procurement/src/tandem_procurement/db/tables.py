"""Procurement tables, mapped imperatively onto the domain classes (the domain stays pure)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    JSON,
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
from tandem_procurement.domain.contract import Contract, ContractStatus
from tandem_procurement.domain.demand import DemandLine
from tandem_procurement.domain.purchase_order import (
    GoodsReceipt,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)
from tandem_procurement.domain.requisition import (
    ApprovalDecision,
    Requisition,
    RequisitionLine,
    RequisitionStatus,
)

metadata = MetaData(naming_convention=NAMING)
mapper_registry = registry(metadata=metadata)


def _status(enum: type[StrEnum]) -> Enum:
    return Enum(enum, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


requisitions = Table(
    "requisitions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("status", _status(RequisitionStatus), nullable=False),
    Column("requester", String(200), nullable=False),
    Column("category", String(100), nullable=False),
    Column("origin", String(20), nullable=False),
    Column("needed_by", Date, nullable=True),
    Column("order_id", Uuid, nullable=True),
    Column("order_line_id", Uuid, nullable=True),
    Column("unsourced_reason", Text, nullable=True),
    Column("required_levels", Integer, nullable=False),
    Column("rule_version", Integer, nullable=True),
    Column("approval_round", Integer, nullable=False),
    Column("cancel_reason", Text, nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_requisitions_created_at_id", "created_at", "id"),
    Index("ix_requisitions_status", "status"),
    Index("ix_requisitions_order_line_id", "order_line_id"),
    Index("ix_requisitions_order_id", "order_id"),
)

requisition_lines = Table(
    "requisition_lines",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "requisition_id", Uuid, ForeignKey("requisitions.id", ondelete="CASCADE"), nullable=False
    ),
    Column("position", Integer, nullable=False),
    Column("sku", String(100), nullable=False),
    Column("quantity", Money, nullable=False),
    Column("suggested_supplier_id", Uuid, nullable=True),
    Column("unit_price", Money, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("lead_time_days", Integer, nullable=True),
    Column("contract_id", Uuid, nullable=True),
    Column("offer_id", Uuid, nullable=True),
    Column("sourcing_note", Text, nullable=True),
    Index("ix_requisition_lines_requisition_id", "requisition_id"),
    Index("ix_requisition_lines_sku", "sku"),
    Index("ix_requisition_lines_supplier", "suggested_supplier_id"),
)

approval_decisions = Table(
    "approval_decisions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "requisition_id", Uuid, ForeignKey("requisitions.id", ondelete="CASCADE"), nullable=False
    ),
    Column("round", Integer, nullable=False),
    Column("level", Integer, nullable=False),
    Column("decision", String(20), nullable=False),
    Column("decided_by", String(200), nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("comment", Text, nullable=True),
    Index("ix_approval_decisions_requisition_id", "requisition_id"),
)

approval_policies = Table(
    "approval_policies",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("currency", String(3), nullable=False),
    Column("tiers", JSON, nullable=False),
    Column("level_roles", JSON, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

purchase_orders = Table(
    "purchase_orders",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("supplier_id", Uuid, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", _status(PurchaseOrderStatus), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("issued_at", UTCDateTime, nullable=True),
    Column("acknowledged_at", UTCDateTime, nullable=True),
    Column("cancel_reason", Text, nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_purchase_orders_created_at_id", "created_at", "id"),
    Index("ix_purchase_orders_supplier_status", "supplier_id", "status"),
)

purchase_order_lines = Table(
    "purchase_order_lines",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "purchase_order_id",
        Uuid,
        ForeignKey("purchase_orders.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("position", Integer, nullable=False),
    Column("sku", String(100), nullable=False),
    Column("quantity", Money, nullable=False),
    Column("unit_price", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("promised_date", Date, nullable=True),
    Column("quantity_received", Money, nullable=False),
    Column("quantity_rejected", Money, nullable=False),
    Column("requisition_id", Uuid, nullable=True),
    Column("contract_id", Uuid, nullable=True),
    Index("ix_purchase_order_lines_po", "purchase_order_id"),
    Index("ix_purchase_order_lines_requisition_id", "requisition_id"),
)

goods_receipts = Table(
    "goods_receipts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "purchase_order_id",
        Uuid,
        ForeignKey("purchase_orders.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("received_by", String(200), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("lines", JSON, nullable=False),
    Index("ix_goods_receipts_po", "purchase_order_id"),
)

contracts = Table(
    "contracts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("supplier_id", Uuid, nullable=False),
    Column("title", String(200), nullable=True),
    Column("currency", String(3), nullable=False),
    Column("lines", JSON, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("volume_commitment", Money, nullable=True),
    Column("consumed", Money, nullable=False),
    Column("notice_days", Integer, nullable=False),
    Column("status", _status(ContractStatus), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_contracts_created_at_id", "created_at", "id"),
    Index("ix_contracts_supplier_status", "supplier_id", "status"),
)

demand_lines = Table(
    "demand_lines",
    metadata,
    Column("line_id", Uuid, primary_key=True),
    Column("order_id", Uuid, nullable=False),
    Column("sku", String(100), nullable=False),
    Column("ordered_quantity", Money, nullable=False),
    Column("open_quantity", Money, nullable=False),
    Column("order_version", Integer, nullable=False),
    Column("order_status", String(20), nullable=False),
    Column("requested_date", Date, nullable=True),
    Column("at_risk", Boolean, nullable=False),
    Column("at_risk_reason", Text, nullable=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_demand_lines_order_id", "order_id"),
    Index("ix_demand_lines_sku", "sku"),
)

# Read models fed by supplier events (sourcing inputs).
supplier_views = Table(
    "supplier_views",
    metadata,
    Column("supplier_id", Uuid, primary_key=True),
    Column("name", String(200), nullable=True),
    Column("status", String(30), nullable=True),
    Column("version", Integer, nullable=False),
    Column("standing", String(30), nullable=True),
    Column("score", Money, nullable=True),
    Column("standing_version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

offers = Table(
    "offers",
    metadata,
    Column("offer_id", Uuid, primary_key=True),
    Column("supplier_id", Uuid, nullable=False),
    Column("sku", String(100), nullable=False),
    Column("unit_price", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("lead_time_days", Integer, nullable=False),
    Column("minimum_order_quantity", Money, nullable=False),
    Column("valid_from", Date, nullable=True),
    Column("valid_until", Date, nullable=True),
    Column("withdrawn", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_offers_sku", "sku"),
    Index("ix_offers_supplier_id", "supplier_id"),
)

# The demand join's output per SKU (procurement.demand.v1), kept for GET /demand.
net_demand = Table(
    "net_demand",
    metadata,
    Column("sku", String(100), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("ordered_quantity", Money, nullable=False),
    Column("covered_quantity", Money, nullable=False),
    Column("net_quantity", Money, nullable=False),
    Column("as_of", UTCDateTime, nullable=False),
)

_mapped = False


def start_mappers() -> None:
    """Map domain classes once per process (idempotent)."""
    global _mapped
    if _mapped:
        return
    m = mapper_registry.map_imperatively
    m(RequisitionLine, requisition_lines)
    m(ApprovalDecision, approval_decisions)
    m(
        Requisition,
        requisitions,
        version_id_col=requisitions.c.version,
        version_id_generator=False,
        properties={
            "lines": relationship(
                RequisitionLine,
                order_by=requisition_lines.c.position,
                cascade="all, delete-orphan",
                lazy="selectin",
            ),
            "decisions": relationship(
                ApprovalDecision,
                order_by=(approval_decisions.c.round, approval_decisions.c.level),
                cascade="all, delete-orphan",
                lazy="selectin",
            ),
        },
    )
    m(PurchaseOrderLine, purchase_order_lines)
    m(
        PurchaseOrder,
        purchase_orders,
        version_id_col=purchase_orders.c.version,
        version_id_generator=False,
        properties={
            "lines": relationship(
                PurchaseOrderLine,
                order_by=purchase_order_lines.c.position,
                cascade="all, delete-orphan",
                lazy="selectin",
            )
        },
    )
    m(GoodsReceipt, goods_receipts)
    m(
        Contract,
        contracts,
        version_id_col=contracts.c.version,
        version_id_generator=False,
    )
    m(DemandLine, demand_lines, version_id_col=demand_lines.c.version, version_id_generator=False)
    _mapped = True
