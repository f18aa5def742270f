"""Demand per sales-order line (fed by the demand join) and the supply that covers it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from tandem_procurement.domain import events
from tandem_procurement.domain.base import Aggregate, utcnow
from tandem_procurement.domain.purchase_order import PurchaseOrderLine, PurchaseOrderStatus
from tandem_procurement.domain.requisition import COVERING, OPEN, Requisition, RequisitionStatus


@dataclass(eq=False)
class DemandLine(Aggregate):
    """The open quantity of one sales-order line, as of an order version."""

    line_id: uuid.UUID
    order_id: uuid.UUID
    sku: str
    ordered_quantity: Decimal
    open_quantity: Decimal
    order_version: int
    order_status: str
    requested_date: date | None = None
    at_risk: bool = False
    at_risk_reason: str | None = None
    version: int = 1
    updated_at: datetime = field(default_factory=utcnow)

    def apply(
        self,
        *,
        order_version: int,
        order_status: str,
        ordered_quantity: Decimal,
        open_quantity: Decimal,
        requested_date: date | None,
    ) -> bool:
        """Take a newer order version; an older or equal one changes nothing (redelivery)."""
        if order_version <= self.order_version:
            return False
        self.order_version = order_version
        self.order_status = order_status
        self.ordered_quantity = ordered_quantity
        self.open_quantity = open_quantity
        self.requested_date = requested_date
        self.version += 1
        self.updated_at = utcnow()
        return True

    def assess(self, risk: tuple[bool, str | None]) -> None:
        """Record the supply risk; publishes only when the flag or its reason changes."""
        at_risk, reason = risk
        if (at_risk, reason) == (self.at_risk, self.at_risk_reason):
            return
        self.at_risk, self.at_risk_reason = at_risk, reason
        if self.requested_date is None:  # nothing was promised to the customer: nothing to flag
            self.version += 1
            return
        self._record(events.SupplyRiskChanged())


def covered_quantity(requisitions: Sequence[Requisition]) -> Decimal:
    return sum((r.quantity for r in requisitions if r.status in COVERING), Decimal(0))


def supply_risk(
    line: DemandLine,
    requisitions: Sequence[Requisition],
    po_lines: Sequence[tuple[PurchaseOrderLine, PurchaseOrderStatus]],
    today: date,
) -> tuple[bool, str | None]:
    """Would the supply for this line miss the customer's requested date, and why."""
    if line.open_quantity <= 0 or line.requested_date is None:
        return False, None
    wanted = line.requested_date
    reasons: list[str] = []
    if covered_quantity(requisitions) < line.open_quantity:
        reasons.append("part of the demand is not covered by a requisition yet")
    for req in requisitions:
        if req.status == RequisitionStatus.UNSOURCED:
            reasons.append(f"requisition {req.id} is unsourced: {req.unsourced_reason}")
        elif req.status in OPEN:
            for ln in req.lines:
                if ln.lead_time_days is not None and today + timedelta(ln.lead_time_days) > wanted:
                    reasons.append(
                        f"requisition {req.id}: lead time {ln.lead_time_days} days arrives "
                        f"{today + timedelta(ln.lead_time_days)}, after {wanted}"
                    )
    for po_line, status in po_lines:
        if status in (PurchaseOrderStatus.CANCELLED, PurchaseOrderStatus.RECEIVED):
            continue
        if status == PurchaseOrderStatus.CLOSED or po_line.outstanding == 0:
            continue
        if po_line.promised_date is not None and po_line.promised_date > wanted:
            reasons.append(
                f"purchase order line {po_line.id} is promised for {po_line.promised_date}, "
                f"after {wanted}"
            )
    return (True, "; ".join(reasons)) if reasons else (False, None)
