"""The demand join's logic, free of Faust so that it can be tested and reasoned about alone.

Two steps, each keyed the way its table is partitioned:

1. ``order_records`` (keyed by order id): an order snapshot becomes one record per line, re-keyed
   by SKU; a line that disappeared from a newer version gets an open quantity of 0.
2. ``SkuState.apply`` (keyed by SKU): line records keep the latest open quantity per order line
   (by order version) and coverage records keep the latest quantity per requisition (by
   requisition version). Net demand = open ordered quantity - covered quantity, where a line is
   covered at most up to its own open quantity by the requisitions raised for it.

Every record carries a version, so redelivery and replay apply nothing twice; outputs are state.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

OPEN_STATUSES = frozenset({"confirmed"})
# Requisition statuses that cover demand (ordered ones are covered by their purchase order).
COVERING = frozenset({"draft", "submitted", "approved", "unsourced", "ordered"})


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _s(value: Decimal) -> str:
    return format(value.normalize() if value != 0 else Decimal(0), "f")


def order_records(order: Any, known: dict | None) -> tuple[list[tuple[str, dict]], dict | None]:
    """Records per SKU for one order snapshot, and the order table's new entry.

    ``known`` is the order table's entry ({"v": version, "lines": {line_id: sku}} with every
    line the order ever had). A stale version yields nothing; the same version is re-emitted in
    full, removed lines included (the SKU side drops duplicates), so a crash between the two
    steps loses nothing.
    """
    if known is not None and order.version < known["v"]:
        return [], None
    open_order = order.status in OPEN_STATUSES
    records: list[tuple[str, dict]] = []
    current: dict[str, str] = {}
    for line in order.lines:
        current[str(line.line_id)] = line.sku
        records.append(
            (
                line.sku,
                {
                    "kind": "line",
                    "order_id": str(order.order_id),
                    "line_id": str(line.line_id),
                    "sku": line.sku,
                    "v": order.version,
                    "status": order.status,
                    "ordered": _s(line.quantity),
                    "open": _s(line.quantity if open_order else Decimal(0)),
                    "requested_date": (
                        line.requested_date.isoformat() if line.requested_date else None
                    ),
                },
            )
        )
    for line_id, sku in ((known or {}).get("lines") or {}).items():
        if line_id not in current:  # the line was removed from the order
            records.append(
                (
                    sku,
                    {
                        "kind": "line",
                        "order_id": str(order.order_id),
                        "line_id": line_id,
                        "sku": sku,
                        "v": order.version,
                        "status": order.status,
                        "ordered": "0",
                        "open": "0",
                        "requested_date": None,
                    },
                )
            )
    return records, {"v": order.version, "lines": {**((known or {}).get("lines") or {}), **current}}


def coverage_records(requisition: Any) -> list[tuple[str, dict]]:
    """Records per SKU for one requisition state (only requisitions raised for order lines)."""
    covering = requisition.status in COVERING
    out: dict[str, dict] = {}
    for line in requisition.lines:
        if not line.order_line_ids:
            continue
        rec = out.setdefault(
            line.sku,
            {
                "kind": "cover",
                "requisition_id": str(requisition.requisition_id),
                "sku": line.sku,
                "v": requisition.version,
                "qty": Decimal(0),
                "lines": [],
            },
        )
        if covering:
            rec["qty"] += line.quantity
        rec["lines"] = sorted(set(rec["lines"]) | {str(i) for i in line.order_line_ids})
    return [(sku, {**rec, "qty": _s(rec["qty"])}) for sku, rec in out.items()]


@dataclass(frozen=True)
class Outcome:
    """What one record changed: the line output to publish, and the net demand if it moved."""

    line: dict | None
    net: dict | None


class SkuState:
    """The per-SKU table value: lines, coverage and what was last published (plain JSON)."""

    def __init__(self, raw: dict | None) -> None:
        raw = raw or {}
        self.lines: dict[str, dict] = dict(raw.get("lines") or {})
        self.cover: dict[str, dict] = dict(raw.get("cover") or {})
        self.published: dict = dict(raw.get("published") or {"version": 0})

    def to_raw(self) -> dict:
        return {"lines": self.lines, "cover": self.cover, "published": self.published}

    def totals(self) -> tuple[Decimal, Decimal]:
        allocated: dict[str, Decimal] = {}
        for cover in self.cover.values():
            targets = cover.get("lines") or []
            if targets:
                allocated[targets[0]] = allocated.get(targets[0], Decimal(0)) + _d(cover["qty"])
        ordered = sum((_d(line["open"]) for line in self.lines.values()), Decimal(0))
        covered = sum(
            (
                min(_d(line["open"]), allocated.get(line_id, Decimal(0)))
                for line_id, line in self.lines.items()
            ),
            Decimal(0),
        )
        return ordered, covered

    def apply(self, record: dict) -> Outcome:
        duplicate = False
        line_out = None
        if record["kind"] == "line":
            known = self.lines.get(record["line_id"])
            if known is not None and record["v"] < known["v"]:
                return Outcome(None, None)
            duplicate = known is not None and record["v"] == known["v"]
            if not duplicate:
                self.lines[record["line_id"]] = {
                    k: record[k]
                    for k in ("order_id", "v", "status", "ordered", "open", "requested_date")
                }
            # Re-emitted on a duplicate too: its reader keeps the highest order version.
            line_out = {**self.lines[record["line_id"]], "line_id": record["line_id"]}
        else:
            known = self.cover.get(record["requisition_id"])
            if known is not None and record["v"] <= known["v"]:
                duplicate = True
            else:
                self.cover[record["requisition_id"]] = {
                    "v": record["v"],
                    "qty": record["qty"],
                    "lines": record["lines"],
                }
        ordered, covered = self.totals()
        net = max(ordered - covered, Decimal(0))
        state = {"ordered": _s(ordered), "covered": _s(covered), "net": _s(net)}
        changed = {k: self.published.get(k) for k in state} != state
        if changed:
            self.published = {**state, "version": self.published["version"] + 1}
        # A duplicate may follow a crash that lost the first output: publish the state again.
        net_out = (
            dict(self.published) if changed or (duplicate and self.published.get("net")) else None
        )
        return Outcome(line_out, net_out)
