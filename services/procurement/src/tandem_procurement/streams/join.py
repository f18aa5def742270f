"""The demand join's logic, free of Faust so that it can be tested and reasoned about alone.

Two steps, each keyed the way its table is partitioned:

1. ``order_records`` (keyed by order id): an order snapshot becomes one record per line, re-keyed
   by SKU; a line that disappeared from a newer version (or moved to another SKU) gets an open
   quantity of 0 on its old SKU. The same records are the per-line output
   (``OrderLineDemandChanged``), which needs nothing from the other side of the join.
2. ``DemandJoin.apply`` (keyed by SKU): a line record keeps the latest open quantity of one
   order line (by order version) and a coverage record the latest quantity of one requisition on
   one SKU (by requisition version). Net demand = open ordered quantity - covered quantity, where
   a line is covered at most up to its own open quantity by the requisitions raised for it.

What the join stores are those facts, one table entry per order line and one per requisition
and SKU, so that every record writes exactly one small entry (one changelog record: there is no
half-applied state after a crash). The per-SKU totals are derived from the facts: kept in memory
and moved by each change's delta (O(1) per record), rebuilt from the tables after every
recovery. What was last published is kept in memory too; it starts empty after a recovery, so
the first record of a SKU after a crash or rebalance publishes its state again.

Every record carries a version, so redelivery and replay apply nothing twice; outputs are state.

Records travel in packs (``pack``): the order side splits a batch of order events at once and
sends one record per by-SKU partition holding every fact of the batch for that partition
(``{"records": [...]}``), the latest version of each. The SKU side applies a batch of packs
(``DemandJoin.apply_records``, one pack at a time) and then gives one state per SKU they moved
(``DemandJoin.to_publish``), the SKU's state after the whole batch, versioned by the offset of
the last pack that touched it: a SKU lives in one partition, so its state after a given offset
is the same however the packs were batched, and a version always names the same state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

OPEN_STATUSES = frozenset({"confirmed"})
# Requisition statuses that cover demand (ordered ones are covered by their purchase order).
COVERING = frozenset({"draft", "submitted", "approved", "unsourced", "ordered"})

ZERO = Decimal(0)


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _s(value: Decimal) -> str:
    return format(value.normalize() if value != 0 else ZERO, "f")


def line_key(sku: str, line_id: str) -> str:
    """The lines table's key: a line id is a UUID, so ``/`` cannot occur in it."""
    return f"{line_id}/{sku}"


def cover_key(sku: str, requisition_id: str) -> str:
    return f"{requisition_id}/{sku}"


def order_records(order: Any, known: dict | None) -> tuple[list[tuple[str, dict]], dict | None]:
    """Records per SKU for one order snapshot, and the order table's new entry.

    ``known`` is the order table's entry ({"v": version, "lines": {line_id: [sku, ...]}} with
    every line the order ever had and every SKU each was ever on, since it was first open). A
    version that is not open, of an order none of whose lines was ever stated, yields nothing
    (no demand, no line to zero) and keeps only its version. A stale version yields nothing;
    the same version is
    re-emitted in full, removed lines and lines moved away from a SKU included (both readers
    drop duplicates): the entry reaches the changelog before the records leave, so a crash
    between the two steps must find them again from the entry.
    A record with ``"moved": True`` zeroes a line on a SKU it has left; the line itself lives on.
    """
    if known is not None and order.version < known["v"]:
        return [], None
    open_order = order.status in OPEN_STATUSES
    if not open_order and not (known or {}).get("lines"):
        # Not open, and no line of it ever stated (a draft, an order cancelled unconfirmed):
        # no demand to state and no line to zero, so nothing is sent (most orders pass as
        # drafts first). Only its version is kept: an older version arriving later is stale.
        newer = known is None or order.version > known["v"]
        return [], ({"v": order.version, "lines": {}} if newer else None)
    records: list[tuple[str, dict]] = []
    current: dict[str, str] = {}
    order_id = str(order.order_id)

    def zero(line_id: str, sku: str, *, moved: bool) -> tuple[str, dict]:
        return sku, {
            "kind": "line",
            "order_id": order_id,
            "line_id": line_id,
            "sku": sku,
            "v": order.version,
            "status": order.status,
            "ordered": "0",
            "open": "0",
            "requested_date": None,
            "moved": moved,
        }

    for line in order.lines:
        current[str(line.line_id)] = line.sku
        records.append(
            (
                line.sku,
                {
                    "kind": "line",
                    "order_id": order_id,
                    "line_id": str(line.line_id),
                    "sku": line.sku,
                    "v": order.version,
                    "status": order.status,
                    "ordered": _s(line.quantity),
                    "open": _s(line.quantity if open_order else ZERO),
                    "requested_date": (
                        line.requested_date.isoformat() if line.requested_date else None
                    ),
                    "moved": False,
                },
            )
        )
    seen: dict[str, list[str]] = {k: list(v) for k, v in ((known or {}).get("lines") or {}).items()}
    for line_id, skus in seen.items():
        for sku in skus:
            if current.get(line_id) != sku:  # removed from the order, or moved to another SKU
                records.append(zero(line_id, sku, moved=line_id in current))
    for line_id, sku in current.items():
        if sku not in seen.setdefault(line_id, []):
            seen[line_id].append(sku)
    return records, {"v": order.version, "lines": seen}


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
                "qty": ZERO,
                "lines": [],
            },
        )
        if covering:
            rec["qty"] += line.quantity
        rec["lines"] = sorted(set(rec["lines"]) | {str(i) for i in line.order_line_ids})
    return [(sku, {**rec, "qty": _s(rec["qty"])}) for sku, rec in out.items()]


def fact_key(record: dict) -> tuple[str, str, str]:
    """What a by-SKU record states a fact about: one order line or one requisition, on a SKU."""
    subject = record["line_id"] if record["kind"] == "line" else record["requisition_id"]
    return record["kind"], subject, record["sku"]


def pack(
    records: Iterable[tuple[str, dict]], partition_of: Callable[[str], int]
) -> dict[int, list[dict]]:
    """By-SKU records grouped by the partition their SKU lives in, one per fact: of several
    versions the highest, of equal versions the first, as the join would apply them in order."""
    packs: dict[int, dict[tuple[str, str, str], dict]] = {}
    for sku, record in records:
        facts = packs.setdefault(partition_of(sku), {})
        key = fact_key(record)
        known = facts.get(key)
        if known is None or record["v"] > known["v"]:
            facts[key] = record
    return {partition: list(facts.values()) for partition, facts in packs.items()}


def unpack(value: dict) -> list[dict]:
    """The records of one by-SKU value: a pack, or one record (as the join wrote before packs)."""
    return value["records"] if "records" in value else [value]


@dataclass
class SkuTotals:
    """One SKU's derived state: open and allocated quantity per line, and their sums."""

    ordered: Decimal = ZERO
    covered: Decimal = ZERO
    open: dict[str, Decimal] = field(default_factory=dict)
    allocated: dict[str, Decimal] = field(default_factory=dict)

    def _covered_by(self, line_id: str) -> Decimal:
        return min(self.open.get(line_id, ZERO), self.allocated.get(line_id, ZERO))

    def set_open(self, line_id: str, quantity: Decimal) -> None:
        before = self._covered_by(line_id)
        self.ordered += quantity - self.open.get(line_id, ZERO)
        if quantity:
            self.open[line_id] = quantity
        else:
            self.open.pop(line_id, None)
        self.covered += self._covered_by(line_id) - before

    def allocate(self, line_id: str | None, delta: Decimal) -> None:
        if line_id is None or not delta:
            return
        before = self._covered_by(line_id)
        total = self.allocated.get(line_id, ZERO) + delta
        if total:
            self.allocated[line_id] = total
        else:
            self.allocated.pop(line_id, None)
        self.covered += self._covered_by(line_id) - before

    def state(self) -> dict[str, str]:
        return {
            "ordered": _s(self.ordered),
            "covered": _s(self.covered),
            "net": _s(max(self.ordered - self.covered, ZERO)),
        }


class DemandJoin:
    """The SKU side of the join over two fact tables (any mutable mappings; Faust tables live).

    ``lines``: line_key -> {"sku", "v", "open"}; ``covers``: cover_key -> {"sku", "v", "qty",
    "line"} (a requisition covers the first order line it was raised for).
    """

    def __init__(self, lines: MutableMapping[str, Any], covers: MutableMapping[str, Any]) -> None:
        self.lines = lines
        self.covers = covers
        self._totals: dict[str, SkuTotals] | None = None
        self._published: dict[str, dict[str, str]] = {}

    def invalidate(self) -> None:
        """Forget the derived state: the tables were recovered or reassigned."""
        self._totals = None
        self._published = {}

    def _rebuild(self) -> dict[str, SkuTotals]:
        totals: dict[str, SkuTotals] = {}
        for key, fact in _items(self.lines):
            if fact:
                line_id = key.split("/", 1)[0]
                totals.setdefault(fact["sku"], SkuTotals()).set_open(line_id, _d(fact["open"]))
        for _key, fact in _items(self.covers):
            if fact:
                totals.setdefault(fact["sku"], SkuTotals()).allocate(fact["line"], _d(fact["qty"]))
        return totals

    def totals(self, sku: str) -> SkuTotals:
        if self._totals is None:
            self._totals = self._rebuild()
        return self._totals.setdefault(sku, SkuTotals())

    def apply(self, record: dict) -> dict[str, str] | None:
        """Apply one record; the SKU's new state if it is to be published, else None."""
        states = self.apply_all([record])
        return states[0][1] if states else None

    def apply_all(self, records: Iterable[dict]) -> list[tuple[str, dict[str, str]]]:
        """Apply records in order; (SKU, state) to publish for each SKU whose state moved from
        what was last published: its state after all of them."""
        return self.to_publish(self.apply_records(records))

    def apply_records(self, records: Iterable[dict]) -> list[str]:
        """Apply records in order; the SKUs they touched, each once (publish with
        ``to_publish`` after this and any further records)."""
        touched: dict[str, None] = {}
        for record in records:
            self._apply(record)
            touched[record["sku"]] = None
        return list(touched)

    def to_publish(self, skus: Iterable[str]) -> list[tuple[str, dict[str, str]]]:
        """(SKU, state) for each of ``skus`` whose state moved from what was last published,
        now counted as published."""
        out: list[tuple[str, dict[str, str]]] = []
        for sku in skus:
            state = self.totals(sku).state()
            if self._published.get(sku) != state:
                self._published[sku] = state
                out.append((sku, state))
        return out

    def _apply(self, record: dict) -> None:
        sku = record["sku"]
        totals = self.totals(sku)
        if record["kind"] == "line":
            key = line_key(sku, record["line_id"])
            known = self.lines.get(key)
            if known is None or record["v"] > known["v"]:
                self.lines[key] = {"sku": sku, "v": record["v"], "open": record["open"]}
                totals.set_open(record["line_id"], _d(record["open"]))
        else:
            key = cover_key(sku, record["requisition_id"])
            known = self.covers.get(key)
            if known is None or record["v"] > known["v"]:
                target = record["lines"][0] if record["lines"] else None
                self.covers[key] = {
                    "sku": sku,
                    "v": record["v"],
                    "qty": record["qty"],
                    "line": target,
                }
                if known is not None:
                    totals.allocate(known["line"], -_d(known["qty"]))
                totals.allocate(target, _d(record["qty"]))


def _items(table: MutableMapping[str, Any]) -> Iterable[tuple[str, Any]]:
    return list(table.items())
