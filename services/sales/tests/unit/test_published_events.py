"""What sales publishes validates against the exported JSON Schemas subscribers use."""

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from tandem_sales.domain.customers import CustomerAccount
from tandem_sales.domain.opportunities import DEFAULT_PROBABILITIES, Opportunity
from tandem_sales.domain.orders import OrderLine, SalesOrder
from tandem_sales.domain.products import Product
from tandem_sales.domain.quotes import Quote, QuoteLine
from tandem_sales.events.publishing import translate

SCHEMAS = Path(__file__).resolve().parents[4] / "shared/contracts/schemas/current"


def published(aggregate) -> list[tuple[str, str, dict]]:
    out = []
    for event in aggregate.pull_events():
        for topic, envelope in translate(aggregate, event):
            out.append((topic.name, envelope.type, json.loads(envelope.value())))
    return out


def order_lifecycle() -> list[tuple[str, str, dict]]:
    """Each step published as its own transaction would (snapshots are taken at commit)."""
    account = CustomerAccount(
        uuid.uuid4(), "A", "active", Decimal(100), "EUR", 1, datetime.now(UTC)
    )
    order = SalesOrder.draft(
        customer_id=account.id,
        currency="EUR",
        owner="rep-1",
        lines=[OrderLine(uuid.uuid4(), "SKU-1", Decimal("2.5"), Decimal("4"), date(2027, 1, 4))],
    )
    events = published(order)
    order.confirm(account)
    events += published(order)
    order.change_lines(
        [OrderLine(uuid.uuid4(), "SKU-2", Decimal(1), Decimal(1))], holder=account, account=account
    )
    events += published(order)
    order.cancel("customer went elsewhere", account)
    return events + published(order)


def aggregates():
    opp = Opportunity.open(
        customer_id=uuid.uuid4(),
        name="D",
        amount=Decimal(5),
        currency="EUR",
        owner="rep",
        probabilities=DEFAULT_PROBABILITIES,
    )
    opp.lose("price", DEFAULT_PROBABILITIES)
    q = Quote.draft(
        customer_id=uuid.uuid4(),
        currency="EUR",
        valid_until=date(2099, 1, 1),
        lines=[QuoteLine(uuid.uuid4(), "SKU", Decimal(1), Decimal(3), Decimal(5))],
        today=date(2026, 1, 1),
    )
    product = Product.create(
        sku="S", name="N", unit="pcs", list_price=Decimal("1.5"), currency="EUR"
    )
    return {"opportunity": opp, "quote": q, "product": product}


@pytest.mark.parametrize("kind", ["order", "opportunity", "quote", "product"])
def test_every_published_event_matches_its_schema(kind):
    events = order_lifecycle() if kind == "order" else published(aggregates()[kind])
    assert events
    for topic, event_type, payload in events:
        schema = json.loads((SCHEMAS / f"{event_type}.json").read_text())
        assert schema["x-topic"] == topic
        jsonschema.validate(payload, schema)


def test_order_events_carry_lines_status_and_version_for_procurement():
    events = order_lifecycle()
    assert [e[1].split(".")[3] for e in events] == ["changed", "confirmed", "changed", "cancelled"]
    confirmed, changed, cancelled = events[1][2], events[2][2], events[3][2]
    assert confirmed["status"] == "confirmed" and confirmed["version"] == 2
    assert confirmed["lines"][0] == {
        "line_id": confirmed["lines"][0]["line_id"],
        "sku": "SKU-1",
        "quantity": "2.50",
        "unit_price": {"amount": "4.00", "currency": "EUR"},
        "requested_date": "2027-01-04",
    }
    assert confirmed["total"] == {"amount": "10.00", "currency": "EUR"}
    assert changed["lines"][0]["sku"] == "SKU-2" and changed["status"] == "confirmed"
    assert cancelled["reason"] == "customer went elsewhere" and cancelled["version"] == 4
