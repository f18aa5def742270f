"""What a supplier delivered: purchase orders, receipts and contract prices, as pure state.

The state is a function of the latest purchase-order snapshot (by version), the set of goods
receipts (by receipt id) and the latest contract terms (by version), so applying the same fact
twice, or replaying every fact, gives the same state. It is kept as JSON-ready dicts so that a
stream processor can hold it in a table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

OPEN_STATUSES = frozenset({"issued", "acknowledged", "partially_received"})


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: Decimal
    unit_price: Decimal
    currency: str
    promised_date: date | None = None


@dataclass(frozen=True)
class OrderSnapshot:
    """The full state of one purchase order, as procurement published it."""

    purchase_order_id: str
    supplier_id: str
    version: int
    status: str
    lines: tuple[OrderLine, ...]
    event_id: str
    issued_at: datetime | None = None
    acknowledged_at: datetime | None = None


@dataclass(frozen=True)
class ReceiptLine:
    sku: str
    accepted: Decimal
    rejected: Decimal


@dataclass(frozen=True)
class Receipt:
    receipt_id: str
    purchase_order_id: str
    supplier_id: str
    received_at: datetime
    lines: tuple[ReceiptLine, ...]
    event_id: str


@dataclass(frozen=True)
class ContractTerms:
    contract_id: str
    supplier_id: str
    version: int
    status: str
    valid_from: date
    valid_until: date
    prices: dict[str, tuple[Decimal, str]] = field(default_factory=dict)  # sku -> (price, ccy)
    event_id: str = ""


Fact = OrderSnapshot | Receipt | ContractTerms


def empty() -> dict[str, Any]:
    return {"orders": {}, "receipts": {}, "contracts": {}}


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def apply(state: dict[str, Any] | None, fact: Fact) -> dict[str, Any]:
    """The supplier's performance state after ``fact`` (idempotent; older versions ignored)."""
    state = {k: dict(v) for k, v in (state or empty()).items()}
    if isinstance(fact, OrderSnapshot):
        known = state["orders"].get(fact.purchase_order_id)
        if known is not None and known["version"] > fact.version:
            return state
        acknowledged = _iso(fact.acknowledged_at) or (known or {}).get("acknowledged_at")
        state["orders"][fact.purchase_order_id] = {
            "version": fact.version,
            "status": fact.status,
            "issued_at": _iso(fact.issued_at) or (known or {}).get("issued_at"),
            "acknowledged_at": acknowledged,
            "lines": [
                {
                    "sku": ln.sku,
                    "quantity": str(ln.quantity),
                    "unit_price": str(ln.unit_price),
                    "currency": ln.currency,
                    "promised_date": _iso(ln.promised_date),
                }
                for ln in fact.lines
            ],
            "event_id": fact.event_id,
        }
    elif isinstance(fact, Receipt):
        state["receipts"][fact.receipt_id] = {
            "purchase_order_id": fact.purchase_order_id,
            "received_at": fact.received_at.isoformat(),
            "lines": [
                {"sku": ln.sku, "accepted": str(ln.accepted), "rejected": str(ln.rejected)}
                for ln in fact.lines
            ],
            "event_id": fact.event_id,
        }
    elif isinstance(fact, ContractTerms):
        known = state["contracts"].get(fact.contract_id)
        if known is not None and known["version"] > fact.version:
            return state
        state["contracts"][fact.contract_id] = {
            "version": fact.version,
            "status": fact.status,
            "valid_from": fact.valid_from.isoformat(),
            "valid_until": fact.valid_until.isoformat(),
            "prices": {sku: [str(p), ccy] for sku, (p, ccy) in sorted(fact.prices.items())},
            "event_id": fact.event_id,
        }
    else:  # pragma: no cover - the union is closed
        raise TypeError(f"not a performance fact: {type(fact).__name__}")
    return state


def basis(state: dict[str, Any]) -> int:
    """How much the state has seen: grows with every new fact, whatever their order.

    Sum of order and contract versions plus the number of receipts; the same set of facts
    always gives the same basis, so a result from a smaller basis is older.
    """
    return (
        sum(o["version"] for o in state["orders"].values())
        + len(state["receipts"])
        + sum(c["version"] for c in state["contracts"].values())
    )


def latest_evidence(state: dict[str, Any]) -> datetime | None:
    """The newest business time in the state: the scorecard's deterministic "as of"."""
    times = [
        datetime.fromisoformat(t)
        for o in state["orders"].values()
        for t in (o["issued_at"], o["acknowledged_at"])
        if t
    ] + [datetime.fromisoformat(r["received_at"]) for r in state["receipts"].values()]
    return max(times) if times else None
