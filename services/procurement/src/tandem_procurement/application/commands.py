"""Commands: what a caller asks the procurement service to do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Actor:
    """Who asks: the token subject and roles (decisions are checked against both)."""

    subject: str
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RaiseRequisition:
    actor: Actor
    lines: tuple[tuple[str, Decimal], ...]
    category: str = "general"
    needed_by: date | None = None
    submit: bool = False


@dataclass(frozen=True)
class RequisitionAction:
    requisition_id: uuid.UUID
    action: str  # submit | approve | reject | cancel | resource
    actor: Actor
    comment: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class PublishApprovalPolicy:
    actor: Actor
    currency: str
    tiers: tuple[tuple[str, Decimal | None, int], ...]  # (category, below, levels)
    level_roles: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class CreatePurchaseOrders:
    actor: Actor
    requisition_ids: tuple[uuid.UUID, ...]


@dataclass(frozen=True)
class PurchaseOrderAction:
    purchase_order_id: uuid.UUID
    action: str  # issue | acknowledge | close | cancel
    actor: Actor
    reason: str | None = None
    promised_dates: dict[uuid.UUID, date] = field(default_factory=dict)
    expected_version: int | None = None


@dataclass(frozen=True)
class RecordReceipt:
    purchase_order_id: uuid.UUID
    actor: Actor
    lines: tuple[tuple[str, Decimal, Decimal], ...]  # (sku, accepted, rejected)
    expected_version: int | None = None


@dataclass(frozen=True)
class DraftContract:
    actor: Actor
    supplier_id: uuid.UUID
    currency: str
    lines: tuple[tuple[str, Decimal], ...]
    valid_from: date
    valid_until: date
    title: str | None = None
    volume_commitment: Decimal | None = None
    notice_days: int = 30


@dataclass(frozen=True)
class ContractAction:
    contract_id: uuid.UUID
    action: str  # activate | terminate
    expected_version: int | None = None


@dataclass(frozen=True)
class RecordOrderLineDemand:
    """The demand join says: this sales-order line now has this open quantity."""

    order_id: uuid.UUID
    line_id: uuid.UUID
    sku: str
    order_version: int
    order_status: str
    ordered_quantity: Decimal
    open_quantity: Decimal
    requested_date: date | None
