"""Joining an order's lines with procurement's demand per line."""

from tandem_gateway.trace import compose_lines, demand_lines

ORDER = {
    "id": "o1",
    "lines": [
        {"line_id": "l1", "sku": "A", "quantity": 5, "requested_date": "2026-12-10"},
        {"line_id": "l2", "sku": "B", "quantity": 1, "requested_date": "2026-12-01"},
    ],
}
DEMAND = [
    {
        "line_id": "l1",
        "covered_quantity": 5,
        "requisitions": [{"id": "r1", "status": "ordered"}],
        "purchase_orders": [
            {"id": "p1", "promised_date": "2026-12-08", "receipts": []},
            {"id": "p2", "promised_date": "2026-12-15T00:00:00Z", "receipts": []},
            {"id": "p3", "promised_date": None},
        ],
        "at_risk": True,
        "at_risk_reason": "late",
    }
]


def test_purchase_orders_say_how_late_they_are_against_the_requested_date():
    l1, l2 = compose_lines(ORDER, DEMAND)
    assert [po["late_by_days"] for po in l1.purchase_orders] == [-2, 5, None]
    assert l1.at_risk and l1.at_risk_reason == "late"
    assert l2.requisitions == [] and l2.at_risk is None


def test_without_demand_the_lines_are_there_but_procurement_fields_are_null():
    l1, _ = compose_lines(ORDER, None)
    assert l1.sku == "A" and l1.requisitions is None and l1.purchase_orders is None


def test_without_the_order_the_lines_come_from_demand():
    (line,) = compose_lines(None, {"lines": [{**DEMAND[0], "sku": "A", "quantity": 5}]})
    assert (line.line_id, line.sku, line.covered_quantity) == ("l1", "A", 5)


def test_demand_may_be_a_list_or_wrapped():
    assert (
        demand_lines(DEMAND) == demand_lines({"lines": DEMAND}) == demand_lines({"items": DEMAND})
    )
    assert demand_lines("nonsense") == []
