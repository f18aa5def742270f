"""The quote state machine, discounts and validity; catalog changes."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tandem_sales.domain.errors import IllegalTransition, InvalidInput
from tandem_sales.domain.products import Product
from tandem_sales.domain.quotes import Quote, QuoteLine, QuoteStatus

TODAY = date(2026, 11, 27)


def quote(valid_days=30) -> Quote:
    return Quote.draft(
        customer_id=uuid.uuid4(),
        currency="EUR",
        valid_until=TODAY + timedelta(valid_days),
        lines=[
            QuoteLine(uuid.uuid4(), "A", Decimal(3), Decimal("100"), Decimal("10")),
            QuoteLine(uuid.uuid4(), "B", Decimal(1), Decimal("19.99")),
        ],
        today=TODAY,
    )


def test_discounts_give_net_prices_and_the_total():
    q = quote()
    assert q.lines[0].net_unit_price == Decimal("90")
    assert q.lines[0].total == Decimal("270")
    assert q.total == Decimal("289.99")


def test_draft_sent_accepted():
    q = quote()
    q.send(TODAY)
    order_id = uuid.uuid4()
    q.accept(TODAY, order_id)
    assert (q.status, q.order_id, q.version) == (QuoteStatus.ACCEPTED, order_id, 3)
    assert len(q.pull_events()) == 3


def test_a_draft_cannot_be_accepted_and_a_rejected_one_is_final():
    q = quote()
    with pytest.raises(IllegalTransition) as info:
        q.accept(TODAY, uuid.uuid4())
    assert info.value.allowed == ["expire", "send"]
    q.send(TODAY)
    q.reject("too expensive")
    assert q.reason == "too expensive"
    for action in (lambda: q.send(TODAY), lambda: q.accept(TODAY, uuid.uuid4()), q.expire):
        with pytest.raises(IllegalTransition):
            action()


def test_a_quote_past_its_validity_cannot_be_accepted_or_sent_and_expires():
    q = quote(valid_days=1)
    q.send(TODAY)
    later = TODAY + timedelta(days=2)
    with pytest.raises(IllegalTransition):
        q.accept(later, uuid.uuid4())
    q.expire()
    assert q.status == QuoteStatus.EXPIRED
    with pytest.raises(InvalidInput):
        quote(valid_days=1).send(later)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (QuoteLine(uuid.uuid4(), "A", Decimal(0), Decimal(1)), "lines.0.quantity"),
        (QuoteLine(uuid.uuid4(), "A", Decimal(1), Decimal(1), Decimal(101)), "lines.0.discount"),
    ],
)
def test_bad_lines_are_named(line, field):
    with pytest.raises(InvalidInput) as info:
        Quote.draft(
            customer_id=uuid.uuid4(), currency="EUR", valid_until=TODAY, lines=[line], today=TODAY
        )
    assert info.value.field == field


def test_a_quote_valid_until_yesterday_is_refused():
    with pytest.raises(InvalidInput) as info:
        quote(valid_days=-1)
    assert info.value.field == "valid_until"


def test_products_publish_only_real_changes():
    p = Product.create(
        sku="A-1", name="Bolt", unit="pcs", list_price=Decimal("0.5"), currency="EUR"
    )
    assert len(p.pull_events()) == 1
    assert p.change(name="Bolt") is False
    assert p.change(list_price=Decimal("0.55"), active=False) is True
    assert (p.version, p.active, len(p.pull_events())) == (2, False, 1)
    with pytest.raises(InvalidInput):
        p.change(list_price=Decimal("-1"))
