"""The demand join's table logic: versions make redelivery and replay no-ops."""

import random
import uuid
from datetime import date
from decimal import Decimal

from tandem_contracts import Money, sales
from tandem_contracts import procurement as own
from tandem_procurement.streams.join import SkuState, coverage_records, order_records

EUR = Money(amount=Decimal(1), currency="EUR")


def snapshot(order_id, version, status, lines):
    return sales.OrderChanged(
        order_id=order_id,
        customer_id=uuid.UUID(int=1),
        version=version,
        status=status,
        lines=[
            sales.OrderLine(
                line_id=line_id,
                sku=sku,
                quantity=Decimal(q),
                unit_price=EUR,
                requested_date=date(2027, 5, 1),
            )
            for line_id, sku, q in lines
        ],
        total=EUR,
    )


def run(events, state=None, orders=None):
    """Feed order snapshots through both steps; returns per-SKU states and the outputs."""
    state = state if state is not None else {}
    orders = orders if orders is not None else {}
    published = []
    for ev in events:
        if isinstance(ev, own.RequisitionChanged):
            records = coverage_records(ev)
        else:
            records, entry = order_records(ev, orders.get(str(ev.order_id)))
            if entry is not None:
                orders[str(ev.order_id)] = entry
        for sku, record in records:
            s = SkuState(state.get(sku))
            outcome = s.apply(record)
            state[sku] = s.to_raw()
            if outcome.net:
                published.append((sku, outcome.net))
    return state, orders, published


def net(state):
    """Ordered and covered per SKU (SKUs with neither left out)."""
    totals = {sku: SkuState(raw).totals() for sku, raw in state.items()}
    return {sku: t for sku, t in totals.items() if t != (0, 0)}


O1, O2 = uuid.uuid4(), uuid.uuid4()
L1, L2, L3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
HISTORY = [
    snapshot(O1, 2, "confirmed", [(L1, "A", "10"), (L2, "B", "4")]),
    snapshot(O2, 2, "confirmed", [(L3, "A", "5")]),
    snapshot(O1, 3, "confirmed", [(L1, "A", "7")]),  # B line removed, A reduced
    snapshot(O2, 3, "cancelled", [(L3, "A", "5")]),
]


def test_confirmed_changed_removed_and_cancelled_lines_net_out():
    state, _, published = run(HISTORY)
    assert net(state) == {"A": (Decimal(7), Decimal(0))}
    assert SkuState(state["B"]).totals() == (0, 0)
    assert published[-1] == ("A", {"ordered": "7", "covered": "0", "net": "7", "version": 4})


def test_redelivery_in_any_order_and_replay_give_the_same_net_demand():
    expected = net(run(HISTORY)[0])
    shuffled = HISTORY * 3
    random.Random(7).shuffle(shuffled)
    # Per order the broker keeps versions in order; duplicates and stale versions interleave.
    assert net(run(shuffled)[0]) == expected
    state, orders, _ = run(HISTORY)
    assert net(run(HISTORY, state, orders)[0]) == expected  # replay over the same tables


def test_coverage_from_requisitions_counts_up_to_the_line_and_only_while_open():
    state, _, _ = run(HISTORY[:1])
    req_id = uuid.uuid4()

    def req(version, status, quantity):
        return own.RequisitionChanged(
            requisition_id=req_id,
            version=version,
            status=status,
            lines=[own.RequisitionLine(sku="A", quantity=Decimal(quantity), order_line_ids=[L1])],
        )

    state, _, published = run([req(1, "submitted", "10")], state)
    assert net(state)["A"] == (Decimal(10), Decimal(10))
    assert published[-1][1]["net"] == "0"
    state, _, _ = run([req(3, "cancelled", "10"), req(2, "approved", "10")], state)
    assert net(state)["A"] == (Decimal(10), Decimal(0))  # version 2 arrived late: ignored


def test_a_requisition_raised_by_hand_does_not_cover_order_lines():
    manual = own.RequisitionChanged(
        requisition_id=uuid.uuid4(),
        version=1,
        status="approved",
        lines=[own.RequisitionLine(sku="A", quantity=Decimal(50))],
    )
    assert coverage_records(manual) == []


def test_reprocessing_a_version_after_a_crash_emits_its_removed_lines_again():
    _first, entry = order_records(HISTORY[0], None)
    _changed, entry = order_records(HISTORY[2], entry)  # B line removed
    again, _ = order_records(HISTORY[2], entry)  # the table kept v3, the records were lost
    removed = [r for sku, r in again if sku == "B"]
    assert removed and removed[0]["open"] == "0" and removed[0]["v"] == 3
    assert order_records(HISTORY[0], entry) == ([], None)  # a stale version: nothing
