"""Procurement contract events -> performance facts (the only place the stream reads the wire).

Records are CloudEvents in binary mode: raw value bytes plus headers, decoded with
``tandem_contracts.decode`` against the topic's registry, never with a Faust serializer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tandem_contracts import procurement as contract
from tandem_contracts.envelope import decode, header_map
from tandem_contracts.events import Event
from tandem_supplier.domain.performance import (
    ContractTerms,
    Fact,
    OrderLine,
    OrderSnapshot,
    Receipt,
    ReceiptLine,
)

TOPICS = {t.name: t for t in (contract.PURCHASE_ORDERS, contract.CONTRACTS)}
Headers = Sequence[tuple[str, bytes]]


def _order(event: contract.PurchaseOrderSnapshot, event_id: str) -> OrderSnapshot:
    acknowledged = getattr(event, "acknowledged_at", None)
    return OrderSnapshot(
        purchase_order_id=str(event.purchase_order_id),
        supplier_id=str(event.supplier_id),
        version=event.version,
        status=event.status,
        lines=tuple(
            OrderLine(
                sku=ln.sku,
                quantity=Decimal(ln.quantity),
                unit_price=ln.unit_price.amount,
                currency=ln.unit_price.currency,
                promised_date=ln.promised_date,
            )
            for ln in event.lines
        ),
        event_id=event_id,
        issued_at=event.issued_at,
        acknowledged_at=acknowledged,
    )


def _contract_prices(event: contract.ContractChanged, value: bytes) -> dict:
    """Contract prices per SKU: ``lines[sku, unit_price]`` when the contract carries them.

    ContractChanged v1 on main has no lines yet; procurement adds them as an optional field.
    Until the model has the field, the lines are read from the same (already validated) JSON.
    """
    lines: Any = getattr(event, "lines", None)
    if lines is None:
        lines = json.loads(value).get("lines") or []
    prices = {}
    for line in lines:
        sku = line["sku"] if isinstance(line, dict) else line.sku
        price = line["unit_price"] if isinstance(line, dict) else line.unit_price
        amount = price["amount"] if isinstance(price, dict) else price.amount
        currency = price["currency"] if isinstance(price, dict) else price.currency
        prices[str(sku)] = (Decimal(str(amount)), str(currency))
    return prices


def _event_class(ce_type: str) -> type[Event] | None:
    for topic in TOPICS.values():
        if (found := topic.event_class(ce_type)) is not None:
            return found
    return None


def to_fact(headers: Headers, value: bytes | None) -> Fact | None:
    """The performance fact a record of the source topics carries (None: not relevant here).

    Raises ContractViolation for a record that breaks its contract.
    """
    event_class = _event_class(header_map(list(headers or ())).get("ce_type", ""))
    envelope = decode(event_class, list(headers or ()), value)
    event, event_id = envelope.data, str(envelope.id)
    if isinstance(event, contract.PurchaseOrderSnapshot):
        return _order(event, event_id)
    if isinstance(event, contract.GoodsReceived):
        return Receipt(
            receipt_id=str(event.receipt_id),
            purchase_order_id=str(event.purchase_order_id),
            supplier_id=str(event.supplier_id),
            received_at=event.received_at,
            lines=tuple(
                ReceiptLine(ln.sku, Decimal(ln.quantity_accepted), Decimal(ln.quantity_rejected))
                for ln in event.lines
            ),
            event_id=event_id,
        )
    if isinstance(event, contract.ContractChanged):
        return ContractTerms(
            contract_id=str(event.contract_id),
            supplier_id=str(event.supplier_id),
            version=event.version,
            status=event.status,
            valid_from=event.valid_from,
            valid_until=event.valid_until,
            prices=_contract_prices(event, value or b"{}"),
            event_id=event_id,
        )
    return None


# Facts travel between the two agents (repartitioned by supplier id) as JSON.


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return {"$t": value.isoformat(), "$k": "dt" if isinstance(value, datetime) else "d"}
    if isinstance(value, Decimal):
        return {"$t": str(value), "$k": "dec"}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {k: _jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    return value


_KINDS = {"order": OrderSnapshot, "receipt": Receipt, "contract": ContractTerms}


def encode_fact(fact: Fact) -> bytes:
    kind = next(k for k, cls in _KINDS.items() if isinstance(fact, cls))
    return json.dumps({"kind": kind, "fact": _jsonable(fact)}, sort_keys=True).encode()


def _restore(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$t", "$k"}:
        kind = value["$k"]
        if kind == "dt":
            return datetime.fromisoformat(value["$t"])
        return date.fromisoformat(value["$t"]) if kind == "d" else Decimal(value["$t"])
    if isinstance(value, list):
        return [_restore(v) for v in value]
    if isinstance(value, dict):
        return {k: _restore(v) for k, v in value.items()}
    return value


def decode_fact(raw: bytes) -> Fact:
    body = json.loads(raw)
    data = _restore(body["fact"])
    if body["kind"] == "order":
        data["lines"] = tuple(OrderLine(**ln) for ln in data["lines"])
        return OrderSnapshot(**data)
    if body["kind"] == "receipt":
        data["lines"] = tuple(ReceiptLine(**ln) for ln in data["lines"])
        return Receipt(**data)
    data["prices"] = {sku: tuple(p) for sku, p in data["prices"].items()}
    return ContractTerms(**data)
