"""Demand routes: net demand per SKU, and the demand-to-supply gap per sales-order line."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from tandem_kit.api import PageLimit
from tandem_kit.pagination import decode_cursor, encode_cursor
from tandem_kit.permissions import require
from tandem_procurement.api.common import Cursor, Sku, qty, uow_of
from tandem_procurement.domain.demand import covered_quantity

router = APIRouter(prefix="/api/v1/demand", tags=["demand"])
READ = require("demand", "read")


@router.get("", dependencies=[READ])
async def net_demand(
    request: Request, sku: Sku | None = None, limit: PageLimit = 50, cursor: Cursor = None
) -> dict:
    """Net uncovered demand per SKU, as last published by the demand join."""
    after = decode_cursor(cursor, 1)[0] if cursor else None
    async with uow_of(request) as uow:
        rows = await uow.net_demand.list(sku=sku, limit=limit + 1, after=after)
    shown = rows[:limit]
    return {
        "items": [
            {
                "sku": r["sku"],
                "ordered_quantity": qty(r["ordered_quantity"]),
                "covered_quantity": qty(r["covered_quantity"]),
                "net_quantity": qty(r["net_quantity"]),
                "version": r["version"],
                "as_of": r["as_of"].isoformat(),
            }
            for r in shown
        ],
        "next": encode_cursor([shown[-1]["sku"]]) if len(rows) > limit else None,
    }


@router.get("/orders/{order_id}", dependencies=[READ])
async def order_demand(
    order_id: Annotated[uuid.UUID, Path(description="sales order id")], request: Request
) -> dict:
    """Per sales-order line: what is covered, by which requisitions and purchase orders, and
    whether the supplier's promise would miss the customer's requested date."""
    async with uow_of(request) as uow:
        lines = await uow.demand.for_order(order_id)
        reqs = await uow.requisitions.for_order(order_id)
        po_lines = await uow.purchase_orders.lines_for_requisitions([r.id for r in reqs])
        receipts = await uow.purchase_orders.receipts_for(list({po.id for _, po in po_lines}))
    items: list[dict[str, Any]] = []
    for line in lines:
        own = [r for r in reqs if r.order_line_id == line.line_id]
        own_ids = {r.id for r in own}
        items.append(
            {
                "line_id": str(line.line_id),
                "sku": line.sku,
                "quantity": qty(line.open_quantity),
                "ordered_quantity": qty(line.ordered_quantity),
                "order_status": line.order_status,
                "order_version": line.order_version,
                "requested_date": line.requested_date.isoformat() if line.requested_date else None,
                "covered_quantity": qty(min(covered_quantity(own), line.open_quantity)),
                "requisitions": [
                    {
                        "id": str(r.id),
                        "status": r.status.value,
                        "quantity": qty(r.quantity),
                        "suggested_supplier_id": (
                            str(r.lines[0].suggested_supplier_id)
                            if r.lines and r.lines[0].suggested_supplier_id
                            else None
                        ),
                    }
                    for r in own
                ],
                "purchase_orders": [
                    {
                        "id": str(po.id),
                        "status": po.status.value,
                        "supplier_id": str(po.supplier_id),
                        "quantity": qty(pl.quantity),
                        "promised_date": pl.promised_date.isoformat() if pl.promised_date else None,
                        "received_quantity": qty(pl.quantity_received),
                        "rejected_quantity": qty(pl.quantity_rejected),
                        "receipts": [
                            {
                                "id": str(rc.id),
                                "received_at": rc.received_at.isoformat(),
                                "lines": [x for x in rc.lines if x["sku"] == pl.sku],
                            }
                            for rc in receipts
                            if rc.purchase_order_id == po.id
                        ],
                    }
                    for pl, po in po_lines
                    if pl.requisition_id in own_ids
                ],
                "at_risk": line.at_risk,
                "at_risk_reason": line.at_risk_reason,
            }
        )
    return {"order_id": str(order_id), "items": items, "next": None}
