"""Translate procurement domain events into contract events on their topics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tandem_contracts import Envelope, Money
from tandem_contracts import procurement as contract
from tandem_contracts.topics import Topic
from tandem_procurement.domain import events
from tandem_procurement.domain.contract import Contract
from tandem_procurement.domain.demand import DemandLine
from tandem_procurement.domain.purchase_order import PurchaseOrder
from tandem_procurement.domain.requisition import Requisition


def requisition_state(req: Requisition) -> contract.RequisitionChanged:
    total = req.total
    return contract.RequisitionChanged(
        requisition_id=req.id,
        version=req.version,
        status=req.status.value,
        lines=[
            contract.RequisitionLine(
                sku=ln.sku,
                quantity=ln.quantity,
                order_line_ids=[req.order_line_id] if req.order_line_id else [],
                suggested_supplier_id=ln.suggested_supplier_id,
                unit_price=(
                    Money(amount=ln.unit_price, currency=ln.currency)
                    if ln.unit_price is not None and ln.currency
                    else None
                ),
            )
            for ln in req.lines
        ],
        total=Money(amount=total[0], currency=total[1]) if total else None,
        needed_by=req.needed_by,
    )


def purchase_order_state(po: PurchaseOrder) -> dict[str, Any]:
    return {
        "purchase_order_id": po.id,
        "supplier_id": po.supplier_id,
        "version": po.version,
        "status": po.status.value,
        "issued_at": po.issued_at,
        "requisition_ids": po.requisition_ids,
        "lines": [
            contract.PurchaseOrderLine(
                line_id=ln.id,
                sku=ln.sku,
                quantity=ln.quantity,
                unit_price=Money(amount=ln.unit_price, currency=ln.currency),
                promised_date=ln.promised_date,
                quantity_received=ln.quantity_received,
                quantity_rejected=ln.quantity_rejected,
            )
            for ln in po.lines
        ],
    }


def contract_state(c: Contract) -> contract.ContractChanged:
    return contract.ContractChanged(
        contract_id=c.id,
        supplier_id=c.supplier_id,
        version=c.version,
        status=c.status.value,
        valid_from=c.valid_from,
        valid_until=c.valid_until,
        lines=[
            contract.ContractLine(
                sku=ln["sku"], unit_price=Money(amount=ln["unit_price"], currency=c.currency)
            )
            for ln in c.lines
        ],
        volume_commitment=(
            Money(amount=c.volume_commitment, currency=c.currency)
            if c.volume_commitment is not None
            else None
        ),
        consumed=Money(amount=c.consumed, currency=c.currency),
    )


def _purchase_order(po: PurchaseOrder, event: Any) -> Iterator[tuple[Topic, Envelope]]:
    topic, subject = contract.PURCHASE_ORDERS, str(po.id)
    state = purchase_order_state(po)
    if isinstance(event, events.PurchaseOrderIssued):
        yield topic, Envelope.wrap(contract.PurchaseOrderIssued(**state), subject=subject)
    elif isinstance(event, events.PurchaseOrderAcknowledged):
        yield (
            topic,
            Envelope.wrap(
                contract.PurchaseOrderAcknowledged(**state, acknowledged_at=po.acknowledged_at),
                subject=subject,
            ),
        )
    elif isinstance(event, events.PurchaseOrderCancelled):
        yield (
            topic,
            Envelope.wrap(
                contract.PurchaseOrderCancelled(**state, reason=event.reason), subject=subject
            ),
        )
    elif isinstance(event, events.GoodsReceived):
        receipt = event.receipt
        yield (
            topic,
            Envelope.wrap(
                contract.GoodsReceived(
                    receipt_id=receipt.id,
                    purchase_order_id=po.id,
                    supplier_id=po.supplier_id,
                    received_at=receipt.received_at,
                    lines=[contract.ReceiptLine(**ln) for ln in receipt.lines],
                ),
                subject=subject,
            ),
        )
        # The order's new state (quantities received, status) follows its receipt.
        yield topic, Envelope.wrap(contract.PurchaseOrderChanged(**state), subject=subject)
    elif isinstance(event, events.PurchaseOrderChanged):
        yield topic, Envelope.wrap(contract.PurchaseOrderChanged(**state), subject=subject)
    else:
        raise TypeError(f"no contract for {type(event).__name__}")


def translate(aggregate: Any, event: Any) -> Iterator[tuple[Topic, Envelope]]:
    if isinstance(aggregate, Requisition) and isinstance(event, events.RequisitionChanged):
        yield (
            contract.REQUISITIONS,
            Envelope.wrap(requisition_state(aggregate), subject=str(aggregate.id)),
        )
    elif isinstance(aggregate, PurchaseOrder):
        yield from _purchase_order(aggregate, event)
    elif isinstance(aggregate, Contract) and isinstance(event, events.ContractChanged):
        yield (
            contract.CONTRACTS,
            Envelope.wrap(contract_state(aggregate), subject=str(aggregate.id)),
        )
    elif isinstance(aggregate, DemandLine) and isinstance(event, events.SupplyRiskChanged):
        yield (
            contract.ORDER_DEMAND,
            Envelope.wrap(
                contract.SupplyAtRisk(
                    order_id=aggregate.order_id,
                    line_id=aggregate.line_id,
                    sku=aggregate.sku,
                    requested_date=aggregate.requested_date,
                    at_risk=aggregate.at_risk,
                    reason=aggregate.at_risk_reason or "supply meets the requested date",
                ),
                subject=str(aggregate.order_id),
            ),
        )
    else:
        raise TypeError(f"no contract for {type(event).__name__} of {type(aggregate).__name__}")
