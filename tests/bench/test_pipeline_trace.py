"""The pipeline watcher files each hop's record under its order line (no broker, no timing)."""

import uuid
from datetime import UTC, datetime

from bench.pipeline_arrivals import Catalog, new_orders, order_event
from bench.pipeline_trace import Traces, handling_totals
from tandem_contracts import Envelope, sales
from tandem_contracts import procurement as own


def _line_demand(line_id: str, status: str) -> tuple[bytes, list]:
    event = own.OrderLineDemandChanged(
        order_id=uuid.uuid4(), line_id=uuid.UUID(line_id), sku="S-1", order_version=2,
        order_status=status, ordered_quantity=10, open_quantity=10, requested_date=None,
    )
    envelope = Envelope.wrap(event, subject=str(event.order_id))
    return envelope.value(), envelope.headers()


def _requisition(line_id: str, recorded: datetime) -> tuple[bytes, list]:
    event = own.RequisitionChanged(
        requisition_id=uuid.uuid4(), version=1, status="submitted",
        lines=[own.RequisitionLine(sku="S-1", quantity=10, order_line_ids=[uuid.UUID(line_id)],
                                   suggested_supplier_id=uuid.uuid4())],
    )
    envelope = Envelope.wrap(event, subject=str(event.requisition_id), time=recorded)
    return envelope.value(), envelope.headers()


def test_a_confirmed_line_is_traced_through_every_hop_and_its_latency_is_seen_minus_sent():
    line = str(uuid.uuid4())
    traces = Traces()
    traces.expect(line).sent = 100.0
    traces.observe(own.ORDER_DEMAND.name, *_line_demand(line, "confirmed"), 100_120, 0)
    value, headers = _requisition(line, datetime.fromtimestamp(100.3, UTC))
    traces.observe(own.REQUISITIONS.name, value, headers, 100_400, 100.45)

    trace = traces.lines[line]
    assert trace.supplier is not None
    assert round(trace.latency, 3) == 0.45
    hops = {name.split(":")[0]: round(ms) for name, ms in traces.hop_medians_ms([line]).items()}
    assert hops == {
        "demand join's order split": 120, "procurement consumer": 180, "outbox relay": 100,
        "subscriber fetch": 50,
    }


def test_only_a_confirmed_line_times_the_demand_hop_and_unknown_lines_are_ignored():
    line, stranger = str(uuid.uuid4()), str(uuid.uuid4())
    traces = Traces()
    traces.expect(line)
    traces.observe(own.ORDER_DEMAND.name, *_line_demand(line, "cancelled"), 1_000, 0)
    traces.observe(own.REQUISITIONS.name, *_requisition(stranger, datetime.now(UTC)), 2_000, 2.0)
    assert traces.lines[line].demand is None and stranger not in traces.lines
    assert traces.latencies([line]) == []


def test_arrivals_are_sales_order_events_with_the_versions_sales_assigns():
    catalog = Catalog(("S-1", "S-2"), str(uuid.uuid4()))
    customers = [{"id": str(uuid.uuid4())}]
    order = new_orders(catalog, customers, 3)[1]
    draft, confirmed = order_event(order, confirmed=False), order_event(order, confirmed=True)
    assert isinstance(draft.data, sales.OrderChanged) and draft.data.version == 1
    assert isinstance(confirmed.data, sales.OrderConfirmed) and confirmed.data.version == 2
    assert confirmed.data.status == "confirmed" and confirmed.subject == str(order.order_id)
    assert confirmed.data.lines[0].line_id == draft.data.lines[0].line_id == order.line_id
    assert order.sku == "S-2" and sales.ORDERS.carries(confirmed.data)


def test_handling_totals_sum_one_group_from_prometheus_text():
    text = "\n".join([
        'tandem_event_handling_seconds_sum{group="procurement.demand",service="procurement"} 1.5',
        'tandem_event_handling_seconds_count{group="procurement.demand",service="procurement"} 60',
        'tandem_event_handling_seconds_sum{group="procurement.other",service="procurement"} 9.0',
    ])
    assert handling_totals(text, "procurement.demand") == (1.5, 60.0)
    assert handling_totals("", "procurement.demand") == (0.0, 0.0)
