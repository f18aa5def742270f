"""The order trace: a sales order's lines joined with procurement's demand for each line."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field


class TraceLine(BaseModel):
    """One order line and what procurement did about it (null when procurement is missing)."""

    line_id: str | None
    sku: str | None = None
    quantity: Any = None
    unit_price: Any = None
    requested_date: str | None = None
    covered_quantity: Any = None
    at_risk: bool | None = None
    at_risk_reason: str | None = None
    requisitions: list[dict[str, Any]] | None = None
    purchase_orders: list[dict[str, Any]] | None = Field(
        default=None,
        description="each with promised_date, receipts, and late_by_days (promised - requested)",
    )


def demand_lines(demand: Any) -> list[dict[str, Any]]:
    """Procurement's per-line demand: a list, or an object holding it under lines/items."""
    if isinstance(demand, list):
        rows = demand
    elif isinstance(demand, dict):
        rows = demand.get("lines", demand.get("items", []))
    else:
        rows = []
    return [r for r in rows if isinstance(r, dict)]


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _with_lateness(po: dict[str, Any], requested: Any) -> dict[str, Any]:
    promised, wanted = _day(po.get("promised_date")), _day(requested)
    late = (promised - wanted).days if promised and wanted else None
    return {**po, "late_by_days": late}


def compose_lines(order: dict[str, Any] | None, demand: Any) -> list[TraceLine]:
    """Join by line id; lines procurement knows but the order part lacks are kept too."""
    by_line = {str(d.get("line_id")): d for d in demand_lines(demand)}
    order_lines = order.get("lines", []) if isinstance(order, dict) else []
    out: list[TraceLine] = []
    seen: set[str] = set()
    for line in (x for x in order_lines if isinstance(x, dict)):
        line_id = str(line.get("line_id"))
        seen.add(line_id)
        out.append(_line(line, by_line.get(line_id), demand is not None))
    for line_id, d in by_line.items():
        if line_id not in seen:
            out.append(_line({}, d, True))
    return out


def _line(line: dict[str, Any], d: dict[str, Any] | None, have_demand: bool) -> TraceLine:
    requested = line.get("requested_date", (d or {}).get("requested_date"))
    base = {
        "line_id": str(line.get("line_id", (d or {}).get("line_id"))),
        "sku": line.get("sku", (d or {}).get("sku")),
        "quantity": line.get("quantity", (d or {}).get("quantity")),
        "unit_price": line.get("unit_price"),
        "requested_date": requested,
    }
    if d is None:
        # Procurement answered but knows nothing for this line (yet): nothing covers it.
        if have_demand:
            return TraceLine(**base, requisitions=[], purchase_orders=[])
        return TraceLine(**base)
    return TraceLine(
        **base,
        covered_quantity=d.get("covered_quantity"),
        at_risk=d.get("at_risk"),
        at_risk_reason=d.get("at_risk_reason"),
        requisitions=list(d.get("requisitions") or []),
        purchase_orders=[
            _with_lateness(po, requested)
            for po in (d.get("purchase_orders") or [])
            if isinstance(po, dict)
        ],
    )
