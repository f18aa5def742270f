"""The offer lifecycle: published, revised (republished), withdrawn."""

import uuid
from datetime import date
from decimal import Decimal

import pytest

from tandem_supplier.domain import events
from tandem_supplier.domain.errors import IllegalTransition, InvalidSupplier
from tandem_supplier.domain.offer import Offer, OfferStatus

TERMS = dict(
    unit_price=Decimal("9.50"), currency="EUR", lead_time_days=5, minimum_order_quantity=Decimal(10)
)


def test_an_offer_is_published_revised_and_withdrawn_once():
    offer = Offer.publish(supplier_id=uuid.uuid4(), sku="SKU-1", **TERMS)
    assert offer.pull_events() == [events.OfferPublished(offer.id)]
    offer.revise(**{**TERMS, "unit_price": Decimal("9.00")}, valid_from=None, valid_until=None)
    assert offer.version == 2 and offer.pull_events() == [events.OfferPublished(offer.id)]
    offer.withdraw()
    assert offer.status is OfferStatus.WITHDRAWN and offer.pull_events() == [
        events.OfferWithdrawn(offer.id)
    ]
    with pytest.raises(IllegalTransition):
        offer.withdraw()
    with pytest.raises(IllegalTransition):
        offer.revise(**TERMS, valid_from=None, valid_until=None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"unit_price": Decimal(0)}, "unit_price"),
        ({"lead_time_days": -1}, "lead_time_days"),
        ({"minimum_order_quantity": Decimal(0)}, "minimum_order_quantity"),
        ({"valid_from": date(2026, 2, 1), "valid_until": date(2026, 1, 1)}, "valid_until"),
        ({"sku": " "}, "sku"),
    ],
)
def test_bad_terms_are_refused_naming_the_field(change, field):
    with pytest.raises(InvalidSupplier) as err:
        Offer.publish(**{"supplier_id": uuid.uuid4(), "sku": "S", **TERMS, **change})
    assert err.value.field == field
