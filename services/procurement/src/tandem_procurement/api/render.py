"""How procurement aggregates look on the wire (JSON-ready dicts)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tandem_procurement.api.common import money, qty
from tandem_procurement.domain import contract as contract_model
from tandem_procurement.domain import purchase_order as po_model
from tandem_procurement.domain import requisition as req_model
from tandem_procurement.domain.approval import ApprovalPolicy


def requisition(r: req_model.Requisition) -> dict[str, Any]:
    total = r.total
    return {
        "id": str(r.id),
        "status": r.status.value,
        "requester": r.requester,
        "category": r.category,
        "origin": r.origin,
        "needed_by": r.needed_by.isoformat() if r.needed_by else None,
        "order_id": str(r.order_id) if r.order_id else None,
        "order_line_id": str(r.order_line_id) if r.order_line_id else None,
        "quantity": qty(r.quantity),
        "total": money(*total) if total else None,
        "unsourced_reason": r.unsourced_reason,
        "required_levels": r.required_levels,
        "rule_version": r.rule_version,
        "cancel_reason": r.cancel_reason,
        "allowed_actions": req_model.allowed_actions(r.status),
        "lines": [
            {
                "id": str(ln.id),
                "sku": ln.sku,
                "quantity": qty(ln.quantity),
                "suggested_supplier_id": (
                    str(ln.suggested_supplier_id) if ln.suggested_supplier_id else None
                ),
                "unit_price": money(ln.unit_price, ln.currency),
                "lead_time_days": ln.lead_time_days,
                "contract_id": str(ln.contract_id) if ln.contract_id else None,
                "offer_id": str(ln.offer_id) if ln.offer_id else None,
                "sourcing_note": ln.sourcing_note,
            }
            for ln in r.lines
        ],
        "decisions": [
            {
                "round": d.round,
                "level": d.level,
                "decision": d.decision,
                "decided_by": d.decided_by,
                "decided_at": d.decided_at.isoformat(),
                "rule_version": d.rule_version,
                "comment": d.comment,
            }
            for d in r.decisions
        ],
        "version": r.version,
        "created_at": r.created_at.isoformat(),
        "updated_at": r.updated_at.isoformat(),
    }


def receipt(rc: po_model.GoodsReceipt) -> dict[str, Any]:
    return {
        "id": str(rc.id),
        "purchase_order_id": str(rc.purchase_order_id),
        "received_by": rc.received_by,
        "received_at": rc.received_at.isoformat(),
        "lines": rc.lines,
    }


def purchase_order(
    po: po_model.PurchaseOrder, receipts: list[po_model.GoodsReceipt] | None = None
) -> dict[str, Any]:
    body = {
        "id": str(po.id),
        "supplier_id": str(po.supplier_id),
        "status": po.status.value,
        "total": money(po.total, po.currency),
        "created_by": po.created_by,
        "issued_at": po.issued_at.isoformat() if po.issued_at else None,
        "acknowledged_at": po.acknowledged_at.isoformat() if po.acknowledged_at else None,
        "cancel_reason": po.cancel_reason,
        "requisition_ids": [str(i) for i in po.requisition_ids],
        "allowed_actions": po_model.allowed_actions(po.status),
        "lines": [
            {
                "id": str(ln.id),
                "sku": ln.sku,
                "quantity": qty(ln.quantity),
                "unit_price": money(ln.unit_price, ln.currency),
                "promised_date": ln.promised_date.isoformat() if ln.promised_date else None,
                "quantity_received": qty(ln.quantity_received),
                "quantity_rejected": qty(ln.quantity_rejected),
                "requisition_id": str(ln.requisition_id) if ln.requisition_id else None,
                "contract_id": str(ln.contract_id) if ln.contract_id else None,
            }
            for ln in po.lines
        ],
        "version": po.version,
        "created_at": po.created_at.isoformat(),
        "updated_at": po.updated_at.isoformat(),
    }
    if receipts is not None:
        body["receipts"] = [receipt(r) for r in receipts]
    return body


def contract(c: contract_model.Contract) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "supplier_id": str(c.supplier_id),
        "title": c.title,
        "status": c.status.value,
        "valid_from": c.valid_from.isoformat(),
        "valid_until": c.valid_until.isoformat(),
        "lines": [
            {"sku": ln["sku"], "unit_price": money(Decimal(ln["unit_price"]), c.currency)}
            for ln in c.lines
        ],
        "volume_commitment": money(c.volume_commitment, c.currency),
        "consumed": money(c.consumed, c.currency) or {"amount": "0", "currency": c.currency},
        "notice_days": c.notice_days,
        "allowed_actions": contract_model.allowed_actions(c.status),
        "version": c.version,
        "created_at": c.created_at.isoformat(),
        "updated_at": c.updated_at.isoformat(),
    }


def policy(p: ApprovalPolicy) -> dict[str, Any]:
    return {
        "version": p.version,
        "currency": p.currency,
        "tiers": [
            {
                "category": t.category,
                "below": format(t.below, "f") if t.below is not None else None,
                "levels": t.levels,
            }
            for t in p.tiers
        ],
        "level_roles": [sorted(r) for r in p.level_roles],
        "created_by": p.created_by,
        "created_at": p.created_at.isoformat(),
    }
