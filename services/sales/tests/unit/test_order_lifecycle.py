"""The sales order state machine."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tandem_sales.domain import events
from tandem_sales.domain.customers import CustomerAccount
from tandem_sales.domain.errors import IllegalTransition, InvalidInput
from tandem_sales.domain.orders import OrderLine, OrderStatus, SalesOrder, allowed_actions


def acct() -> CustomerAccount:
    return CustomerAccount(
        uuid.uuid4(), "Acme", "active", Decimal(10_000), "EUR", 1, datetime.now(UTC)
    )


def new_order() -> SalesOrder:
    return SalesOrder.draft(
        customer_id=uuid.uuid4(),
        currency="EUR",
        lines=[
            OrderLine(uuid.uuid4(), "A", Decimal("2"), Decimal("10.50")),
            OrderLine(uuid.uuid4(), "B", Decimal("1.5"), Decimal("3")),
        ],
    )


def test_a_draft_has_its_lines_total_and_announces_itself():
    o = new_order()
    assert o.status == OrderStatus.DRAFT
    assert o.total == Decimal("25.5")
    assert [type(e) for e in o.pull_events()] == [events.OrderChanged]
    assert [line.position for line in o.lines] == [0, 1]


def test_the_happy_path_raises_one_event_per_step_and_bumps_the_version():
    o, a = new_order(), acct()
    o.pull_events()
    o.confirm(a)
    o.fulfil()
    o.close(a)
    assert o.status == OrderStatus.CLOSED
    assert o.version == 4
    assert o.confirmed_at is not None
    assert [type(e) for e in o.pull_events()] == [
        events.OrderConfirmed,
        events.OrderFulfilled,
        events.OrderClosed,
    ]


@pytest.mark.parametrize(
    ("steps", "action", "allowed"),
    [
        ([], "fulfil", ["cancel", "change", "confirm"]),
        ([], "close", ["cancel", "change", "confirm"]),
        (["confirm"], "confirm", ["cancel", "change", "fulfil"]),
        (["confirm", "fulfil"], "cancel", ["close"]),
        (["confirm", "fulfil", "close"], "fulfil", []),
        (["cancel"], "confirm", []),
    ],
)
def test_illegal_transitions_name_the_allowed_ones(steps, action, allowed):
    o, a = new_order(), acct()
    for step in steps:
        {
            "confirm": lambda: o.confirm(a),
            "fulfil": o.fulfil,
            "close": lambda: o.close(a),
            "cancel": lambda: o.cancel("x", None),
        }[step]()
    with pytest.raises(IllegalTransition) as info:
        {
            "confirm": lambda: o.confirm(a),
            "fulfil": o.fulfil,
            "close": lambda: o.close(a),
            "cancel": lambda: o.cancel("x", a),
        }[action]()
    assert info.value.allowed == allowed
    assert allowed_actions(o.status) == allowed


def test_cancelling_needs_a_reason_and_keeps_it():
    o = new_order()
    with pytest.raises(InvalidInput) as info:
        o.cancel("  ", None)
    assert info.value.field == "reason"
    o.cancel(" duplicate order ", None)
    assert o.cancel_reason == "duplicate order"
    cancelled = o.pull_events()[-1]
    assert isinstance(cancelled, events.OrderCancelled) and cancelled.reason == "duplicate order"


def test_lines_are_validated_naming_the_line():
    with pytest.raises(InvalidInput) as info:
        SalesOrder.draft(
            customer_id=uuid.uuid4(),
            currency="EUR",
            lines=[
                OrderLine(uuid.uuid4(), "A", Decimal(1), Decimal(1)),
                OrderLine(uuid.uuid4(), "B", Decimal(0), Decimal(1)),
            ],
        )
    assert info.value.field == "lines.1.quantity"
    with pytest.raises(InvalidInput):
        SalesOrder.draft(customer_id=uuid.uuid4(), currency="EUR", lines=[])


def test_a_fulfilled_order_cannot_change_its_lines():
    o, a = new_order(), acct()
    o.confirm(a)
    o.fulfil()
    with pytest.raises(IllegalTransition):
        o.change_lines([OrderLine(uuid.uuid4(), "A", Decimal(1), Decimal(1))])
