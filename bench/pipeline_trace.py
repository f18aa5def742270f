"""Where a confirmed order line is on its way to a requisition: one trace per line.

A watcher reads, without a consumer group, the topics each hop writes to:
``procurement.order-demand.v1`` (the demand join's order split publishes each line's demand
there) and ``procurement.requisitions.v1`` (procurement's demand consumer, through its outbox
relay). Broker record timestamps are the producers' send times (ms), the requisition's
``ce_time`` is when procurement recorded it; all are wall-clock, as is ``sent``. The join's
SKU side (net demand per SKU) is not on a requisition's way.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from datetime import datetime

from tandem_contracts import procurement as own
from tandem_contracts.envelope import header_map

WATCHED = (own.ORDER_DEMAND.name, own.REQUISITIONS.name)
REQUISITION_TYPE = own.RequisitionChanged.event_type
LINE_DEMAND_TYPE = own.OrderLineDemandChanged.event_type

# (hop name, start field, end field) in the order a line passes them.
HOPS = (
    ("demand join's order split: sales.orders -> order-demand", "sent", "demand"),
    ("procurement consumer: order-demand -> requisition recorded", "demand", "recorded"),
    ("outbox relay: recorded -> requisitions topic", "recorded", "published"),
    ("subscriber fetch: requisitions topic -> seen", "published", "seen"),
)


@dataclass
class Trace:
    """Wall-clock seconds at which one confirmed order line reached each hop (None: not yet)."""

    sent: float | None = None
    demand: float | None = None
    recorded: float | None = None
    published: float | None = None
    seen: float | None = None
    supplier: str | None = None  # the requisition's suggested supplier, if it was sourced

    @property
    def latency(self) -> float | None:
        if self.sent is None or self.seen is None:
            return None
        return self.seen - self.sent


class Traces:
    """Traces by order line id; ``observe`` files each watched record under its line."""

    def __init__(self) -> None:
        self.lines: dict[str, Trace] = {}

    def expect(self, line_id: str) -> Trace:
        return self.lines.setdefault(line_id, Trace())

    def observe(
        self, topic: str, value: bytes, headers: list[tuple[str, bytes]], stamp_ms: int,
        received: float,
    ) -> None:
        """One record of a watched topic, received at wall-clock ``received``."""
        stamp = stamp_ms / 1000
        attrs = _attrs(headers)
        if topic == own.ORDER_DEMAND.name and attrs.get("ce_type") == LINE_DEMAND_TYPE:
            record = _json(value)
            if record.get("order_status") == "confirmed":
                self._first(record.get("line_id"), "demand", stamp)
        elif topic == own.REQUISITIONS.name and attrs.get("ce_type") == REQUISITION_TYPE:
            recorded = _time(attrs.get("ce_time"))
            for line in _json(value).get("lines") or []:
                for line_id in line.get("order_line_ids") or []:
                    trace = self.lines.get(line_id)
                    if trace is None or trace.seen is not None:
                        continue
                    trace.recorded, trace.published, trace.seen = recorded, stamp, received
                    trace.supplier = line.get("suggested_supplier_id")

    def _first(self, line_id: object, hop: str, stamp: float) -> None:
        trace = self.lines.get(str(line_id))
        if trace is not None and getattr(trace, hop) is None:
            setattr(trace, hop, stamp)

    def latencies(self, line_ids: list[str]) -> list[float]:
        return [t.latency for i in line_ids if (t := self.lines[i]).latency is not None]

    def hop_medians_ms(self, line_ids: list[str]) -> dict[str, float]:
        """Median milliseconds per hop over the lines that passed both of its ends."""
        out = {}
        for name, start, end in HOPS:
            spans = [
                (getattr(t, end) - getattr(t, start)) * 1000
                for i in line_ids
                if getattr(t := self.lines[i], start) is not None and getattr(t, end) is not None
            ]
            if spans:
                out[name] = statistics.median(spans)
        return out


def _json(value: bytes | None) -> dict:
    try:
        record = json.loads(value or b"{}")
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def _attrs(headers: list[tuple[str, bytes]]) -> dict[str, str]:
    try:
        return header_map(headers or [])
    except ValueError:
        return {}


def _time(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def handling_totals(metrics_text: str, group: str) -> tuple[float, float]:
    """(seconds, events) the kit's consumers of ``group`` spent handling events so far, from a
    worker's Prometheus text (tandem_event_handling_seconds_sum / _count)."""
    totals = {"sum": 0.0, "count": 0.0}
    for line in metrics_text.splitlines():
        for kind in totals:
            if line.startswith(f"tandem_event_handling_seconds_{kind}{{") and (
                f'group="{group}"' in line
            ):
                totals[kind] += float(line.rsplit(" ", 1)[1])
    return totals["sum"], totals["count"]
