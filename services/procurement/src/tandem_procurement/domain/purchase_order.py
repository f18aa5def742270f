"""Purchase orders and goods receipts.

draft -> issued -> acknowledged -> partially_received -> received -> closed; cancelled before
any receipt. Every line carries the supplier's promised date.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from tandem_procurement.domain import events
from tandem_procurement.domain.base import Aggregate, utcnow
from tandem_procurement.domain.errors import IllegalTransition, InvalidRequest
from tandem_procurement.domain.requisition import Requisition, RequisitionStatus
from tandem_procurement.domain.requisition import allowed_actions as req_allowed


class PurchaseOrderStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    ACKNOWLEDGED = "acknowledged"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


P = PurchaseOrderStatus
OPEN = frozenset({P.DRAFT, P.ISSUED, P.ACKNOWLEDGED, P.PARTIALLY_RECEIVED})
ACTIONS: dict[str, frozenset[PurchaseOrderStatus]] = {
    "issue": frozenset({P.DRAFT}),
    "acknowledge": frozenset({P.ISSUED}),
    "receive": frozenset({P.ISSUED, P.ACKNOWLEDGED, P.PARTIALLY_RECEIVED}),
    "close": frozenset({P.RECEIVED}),
    "cancel": frozenset({P.DRAFT, P.ISSUED, P.ACKNOWLEDGED}),
}


def allowed_actions(status: PurchaseOrderStatus) -> list[str]:
    return sorted(a for a, sources in ACTIONS.items() if status in sources)


@dataclass(eq=False)
class PurchaseOrderLine:
    id: uuid.UUID
    sku: str
    quantity: Decimal
    unit_price: Decimal
    currency: str
    position: int = 0
    promised_date: date | None = None
    quantity_received: Decimal = Decimal(0)
    quantity_rejected: Decimal = Decimal(0)
    requisition_id: uuid.UUID | None = None
    contract_id: uuid.UUID | None = None

    @property
    def outstanding(self) -> Decimal:
        return max(self.quantity - self.quantity_received, Decimal(0))


@dataclass(frozen=True)
class ReceiptLine:
    sku: str
    quantity_accepted: Decimal
    quantity_rejected: Decimal


@dataclass(eq=False)
class GoodsReceipt:
    id: uuid.UUID
    purchase_order_id: uuid.UUID
    received_by: str
    received_at: datetime
    lines: list[dict]  # [{"sku", "quantity_accepted", "quantity_rejected"}] as decimal strings


@dataclass(eq=False)
class PurchaseOrder(Aggregate):
    id: uuid.UUID
    supplier_id: uuid.UUID
    currency: str
    created_by: str
    lines: list[PurchaseOrderLine]
    status: PurchaseOrderStatus = P.DRAFT
    issued_at: datetime | None = None
    acknowledged_at: datetime | None = None
    cancel_reason: str | None = None
    version: int = 1
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @classmethod
    def from_requisitions(
        cls, requisitions: Sequence[Requisition], *, created_by: str, today: date
    ) -> PurchaseOrder:
        """One draft order for the approved requisitions of one supplier (marks them ordered)."""
        for req in requisitions:
            if req.status != RequisitionStatus.APPROVED:
                raise IllegalTransition("requisition", req.status, "order", req_allowed(req.status))
        suppliers = {ln.suggested_supplier_id for r in requisitions for ln in r.lines}
        currencies = {ln.currency for r in requisitions for ln in r.lines}
        if len(suppliers) != 1 or None in suppliers:
            raise InvalidRequest(
                "a purchase order is for exactly one supplier", field="requisition_ids"
            )
        if len(currencies) != 1:
            raise InvalidRequest(
                "the requisitions of one supplier are priced in different currencies",
                field="requisition_ids",
            )
        lines = []
        for req in requisitions:
            for ln in req.lines:
                if ln.quantity == 0:
                    continue
                lines.append(
                    PurchaseOrderLine(
                        id=uuid.uuid4(),
                        sku=ln.sku,
                        quantity=ln.quantity,
                        unit_price=ln.unit_price or Decimal(0),
                        currency=ln.currency or "",
                        position=len(lines),
                        promised_date=(
                            today + timedelta(days=ln.lead_time_days)
                            if ln.lead_time_days is not None
                            else req.needed_by
                        ),
                        requisition_id=req.id,
                        contract_id=ln.contract_id,
                    )
                )
            req.mark_ordered()
        order = cls(
            id=uuid.uuid4(),
            supplier_id=suppliers.pop(),  # type: ignore[arg-type]
            currency=currencies.pop(),  # type: ignore[arg-type]
            created_by=created_by,
            lines=lines,
        )
        order._record(events.PurchaseOrderChanged(), bump=False)
        return order

    @property
    def total(self) -> Decimal:
        return sum((ln.quantity * ln.unit_price for ln in self.lines), Decimal(0))

    @property
    def requisition_ids(self) -> list[uuid.UUID]:
        return sorted({ln.requisition_id for ln in self.lines if ln.requisition_id}, key=str)

    def _require(self, action: str) -> None:
        if self.status not in ACTIONS[action]:
            raise IllegalTransition(
                "purchase order", self.status, action, allowed_actions(self.status)
            )

    def issue(self, now: datetime) -> None:
        self._require("issue")
        self.status = P.ISSUED
        self.issued_at = now
        self._record(events.PurchaseOrderIssued(), now=now)

    def acknowledge(self, now: datetime, promised: dict[uuid.UUID, date] | None = None) -> None:
        """The supplier confirms; it may promise other dates per line."""
        self._require("acknowledge")
        by_id = {ln.id: ln for ln in self.lines}
        for line_id, day in (promised or {}).items():
            if line_id not in by_id:
                raise InvalidRequest(f"no line {line_id} on this order", field="promised_dates")
            by_id[line_id].promised_date = day
        self.status = P.ACKNOWLEDGED
        self.acknowledged_at = now
        self._record(events.PurchaseOrderAcknowledged(), now=now)

    def receive(
        self, lines: Sequence[ReceiptLine], *, received_by: str, now: datetime
    ) -> GoodsReceipt:
        """Book a goods receipt; accepted quantities fill the order's lines of each SKU in turn."""
        self._require("receive")
        if not lines:
            raise InvalidRequest("a receipt needs at least one line", field="lines")
        for i, rl in enumerate(lines):
            own = [ln for ln in self.lines if ln.sku == rl.sku]
            if not own:
                raise InvalidRequest(f"SKU {rl.sku} is not on this order", field=f"lines.{i}.sku")
            if rl.quantity_accepted < 0 or rl.quantity_rejected < 0:
                raise InvalidRequest("quantities must not be negative", field=f"lines.{i}")
            if rl.quantity_accepted == 0 and rl.quantity_rejected == 0:
                raise InvalidRequest("a receipt line receives something", field=f"lines.{i}")
            outstanding = sum((ln.outstanding for ln in own), Decimal(0))
            if rl.quantity_accepted > outstanding:
                raise InvalidRequest(
                    f"accepting {rl.quantity_accepted} of {rl.sku} exceeds the "
                    f"{outstanding} still outstanding",
                    field=f"lines.{i}.quantity_accepted",
                )
        if len({rl.sku for rl in lines}) != len(lines):
            raise InvalidRequest("one receipt line per SKU", field="lines")
        for rl in lines:
            own = [ln for ln in self.lines if ln.sku == rl.sku]
            left = rl.quantity_accepted
            for ln in own:
                take = min(ln.outstanding, left)
                ln.quantity_received += take
                left -= take
            own[0].quantity_rejected += rl.quantity_rejected
        self.status = (
            P.RECEIVED if all(ln.outstanding == 0 for ln in self.lines) else P.PARTIALLY_RECEIVED
        )
        receipt = GoodsReceipt(
            id=uuid.uuid4(),
            purchase_order_id=self.id,
            received_by=received_by,
            received_at=now,
            lines=[
                {
                    "sku": rl.sku,
                    "quantity_accepted": format(rl.quantity_accepted, "f"),
                    "quantity_rejected": format(rl.quantity_rejected, "f"),
                }
                for rl in lines
            ],
        )
        self._record(events.GoodsReceived(receipt), now=now)
        return receipt

    def close(self, now: datetime) -> None:
        self._require("close")
        self.status = P.CLOSED
        self._record(events.PurchaseOrderChanged(), now=now)

    def cancel(self, now: datetime, reason: str | None = None) -> None:
        self._require("cancel")
        self.status = P.CANCELLED
        self.cancel_reason = reason
        self._record(events.PurchaseOrderCancelled(reason), now=now)
