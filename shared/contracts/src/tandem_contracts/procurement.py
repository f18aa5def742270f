"""Procurement service contracts: demand, requisitions, purchase orders, receipts, contracts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tandem_contracts.events import DecimalStr, Event, Money
from tandem_contracts.topics import Topic


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class NetDemandChanged(Event):
    """Net uncovered demand for one SKU, as state (not a delta).

    ``version`` grows with every change of the SKU (it is the demand join's input offset); the
    same change published again after a crash keeps its version. Keep the highest version, and
    the later ``as_of`` where versions restart (a replay onto a new input topic).
    """

    event_type = "tandem.procurement.demand.changed.v1"
    sku: str
    version: int = Field(ge=1)
    ordered_quantity: DecimalStr
    covered_quantity: DecimalStr
    net_quantity: DecimalStr
    as_of: datetime


class RequisitionLine(_Value):
    sku: str
    quantity: DecimalStr
    order_line_ids: list[uuid.UUID] = []
    suggested_supplier_id: uuid.UUID | None = None
    unit_price: Money | None = None


class RequisitionChanged(Event):
    event_type = "tandem.procurement.requisition.changed.v1"
    requisition_id: uuid.UUID
    version: int = Field(ge=1)
    status: Literal[
        "draft", "submitted", "approved", "rejected", "ordered", "cancelled", "unsourced"
    ]
    lines: list[RequisitionLine]
    total: Money | None = None
    needed_by: date | None = None


class PurchaseOrderLine(_Value):
    line_id: uuid.UUID
    sku: str
    quantity: DecimalStr
    unit_price: Money
    promised_date: date | None = None
    quantity_received: DecimalStr = 0
    quantity_rejected: DecimalStr = 0


class PurchaseOrderSnapshot(Event):
    purchase_order_id: uuid.UUID
    supplier_id: uuid.UUID
    version: int = Field(ge=1)
    status: Literal[
        "draft", "issued", "acknowledged", "partially_received", "received", "closed", "cancelled"
    ]
    lines: list[PurchaseOrderLine]
    issued_at: datetime | None = None
    requisition_ids: list[uuid.UUID] = []


class PurchaseOrderIssued(PurchaseOrderSnapshot):
    event_type = "tandem.procurement.purchase-order.issued.v1"


class PurchaseOrderAcknowledged(PurchaseOrderSnapshot):
    event_type = "tandem.procurement.purchase-order.acknowledged.v1"
    acknowledged_at: datetime


class PurchaseOrderChanged(PurchaseOrderSnapshot):
    event_type = "tandem.procurement.purchase-order.changed.v1"


class PurchaseOrderCancelled(PurchaseOrderSnapshot):
    event_type = "tandem.procurement.purchase-order.cancelled.v1"
    reason: str | None = None


class ReceiptLine(_Value):
    sku: str
    quantity_accepted: DecimalStr
    quantity_rejected: DecimalStr


class GoodsReceived(Event):
    event_type = "tandem.procurement.receipt.recorded.v1"
    receipt_id: uuid.UUID
    purchase_order_id: uuid.UUID
    supplier_id: uuid.UUID
    received_at: datetime
    lines: list[ReceiptLine]


class OrderLineDemandChanged(Event):
    """Open demand of one sales-order line, as state (the demand join's line-level output).

    ``order_version`` orders the updates of one line: readers keep the highest.
    """

    event_type = "tandem.procurement.order-line-demand.changed.v1"
    order_id: uuid.UUID
    line_id: uuid.UUID
    sku: str
    order_version: int = Field(ge=1)
    order_status: Literal["draft", "confirmed", "fulfilled", "closed", "cancelled"]
    ordered_quantity: DecimalStr
    open_quantity: DecimalStr
    requested_date: date | None = None


class SupplyAtRisk(Event):
    """A supplier's promised date for a sales-order line misses the customer's requested date."""

    event_type = "tandem.procurement.order-line-supply.at-risk.v1"
    order_id: uuid.UUID
    line_id: uuid.UUID
    sku: str
    requested_date: date
    promised_date: date | None = None
    purchase_order_id: uuid.UUID | None = None
    requisition_id: uuid.UUID | None = None
    at_risk: bool = True
    reason: str


class ContractLine(_Value):
    sku: str
    unit_price: Money


class ContractChanged(Event):
    event_type = "tandem.procurement.contract.changed.v1"
    contract_id: uuid.UUID
    supplier_id: uuid.UUID
    version: int = Field(ge=1)
    status: Literal["draft", "active", "expiring", "expired", "terminated"]
    valid_from: date
    valid_until: date
    lines: list[ContractLine] = []
    volume_commitment: Money | None = None
    consumed: Money | None = None


DEMAND = Topic(
    "procurement.demand.v1",
    key=str,
    events=(NetDemandChanged,),
    description="Net uncovered purchase demand per SKU (keyed by SKU).",
)
REQUISITIONS = Topic(
    "procurement.requisitions.v1",
    key=uuid.UUID,
    events=(RequisitionChanged,),
    description="Requisitions: full state on every change.",
)
PURCHASE_ORDERS = Topic(
    "procurement.purchase-orders.v1",
    key=uuid.UUID,
    events=(
        PurchaseOrderIssued,
        PurchaseOrderAcknowledged,
        PurchaseOrderChanged,
        PurchaseOrderCancelled,
        GoodsReceived,
    ),
    description="Purchase orders and their goods receipts (keyed by purchase order id).",
)
CONTRACTS = Topic(
    "procurement.contracts.v1",
    key=uuid.UUID,
    events=(ContractChanged,),
    description="Framework agreements with suppliers.",
)
ORDER_DEMAND = Topic(
    "procurement.order-demand.v1",
    key=uuid.UUID,
    events=(OrderLineDemandChanged, SupplyAtRisk),
    description=(
        "Demand and supply risk per sales-order line (keyed by sales order id): open quantity "
        "from the demand join, and an at-risk flag when a promised date misses the requested one."
    ),
)
TOPICS = (DEMAND, REQUISITIONS, PURCHASE_ORDERS, CONTRACTS, ORDER_DEMAND)
