"""Sourcing choices: contract price first, then the best offer of an eligible supplier."""

import uuid
from datetime import date
from decimal import Decimal

from tandem_procurement.domain.sourcing import (
    ContractTerms,
    OfferTerms,
    Source,
    SupplierView,
    Unsourced,
    choose_source,
)

TODAY = date(2027, 3, 1)
A, B, C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def offer(supplier, price, lead=5, sku="SKU", moq="1", **kw):
    return OfferTerms(uuid.uuid4(), supplier, sku, Decimal(price), "EUR", lead, Decimal(moq), **kw)


def contract(supplier, price, sku="SKU", until=date(2027, 12, 31)):
    return ContractTerms(
        uuid.uuid4(), supplier, sku, Decimal(price), "EUR", date(2027, 1, 1), until
    )


def approved(*ids, score=None, standing="good"):
    return {i: SupplierView(i, "approved", standing, score) for i in ids}


def choose(offers=(), contracts=(), suppliers=None, needed_by=None, quantity="10"):
    return choose_source(
        sku="SKU",
        quantity=Decimal(quantity),
        today=TODAY,
        needed_by=needed_by,
        contracts=contracts,
        offers=offers,
        suppliers=suppliers if suppliers is not None else approved(A, B, C),
    )


def test_an_active_contract_price_wins_over_a_cheaper_offer():
    chosen = choose(offers=[offer(A, "5"), offer(B, "9", lead=3)], contracts=[contract(B, "8")])
    assert isinstance(chosen, Source)
    assert (chosen.supplier_id, chosen.unit_price, chosen.lead_time_days) == (B, Decimal(8), 3)
    assert chosen.contract_id is not None


def test_an_expired_contract_is_ignored():
    chosen = choose(offers=[offer(A, "5")], contracts=[contract(B, "4", until=date(2027, 2, 28))])
    assert chosen.supplier_id == A


def test_a_contract_with_a_suspended_supplier_falls_back_to_offers():
    suppliers = {**approved(A), B: SupplierView(B, "suspended")}
    chosen = choose(offers=[offer(A, "9")], contracts=[contract(B, "4")], suppliers=suppliers)
    assert chosen.supplier_id == A and chosen.contract_id is None


def test_the_cheapest_offer_wins_when_all_else_is_equal():
    assert choose(offers=[offer(A, "10"), offer(B, "8")]).supplier_id == B


def test_a_slightly_dearer_offer_that_arrives_in_time_beats_a_late_one():
    chosen = choose(
        offers=[offer(A, "10", lead=30), offer(B, "11", lead=5)], needed_by=date(2027, 3, 10)
    )
    assert chosen.supplier_id == B


def test_the_scorecard_breaks_a_tie_on_price_and_lead_time():
    suppliers = {
        A: SupplierView(A, "approved", "watch", Decimal(40)),
        B: SupplierView(B, "approved", "excellent", Decimal(95)),
    }
    assert choose(offers=[offer(A, "10"), offer(B, "10")], suppliers=suppliers).supplier_id == B


def test_probation_suspended_blocked_and_unknown_suppliers_are_not_sourced():
    suppliers = {
        A: SupplierView(A, "approved", "probation"),
        B: SupplierView(B, "suspended"),
        C: SupplierView(C, "blocked"),
    }
    unknown = uuid.uuid4()
    chosen = choose(
        offers=[offer(A, "1"), offer(B, "1"), offer(C, "1"), offer(unknown, "1")],
        suppliers=suppliers,
    )
    assert isinstance(chosen, Unsourced)
    for phrase in ("probation", "suspended", "blocked", "not known"):
        assert phrase in chosen.reason


def test_no_offer_at_all_is_unsourced_with_the_reason():
    chosen = choose()
    assert isinstance(chosen, Unsourced)
    assert chosen.reason == "no active contract and no offer for SKU SKU"


def test_an_offer_whose_minimum_quantity_is_above_the_need_is_skipped():
    chosen = choose(offers=[offer(A, "1", moq="100"), offer(B, "2")])
    assert chosen.supplier_id == B
    alone = choose(offers=[offer(A, "1", moq="100")])
    assert isinstance(alone, Unsourced) and "minimum order quantity" in alone.reason


def test_offers_outside_their_validity_are_ignored():
    chosen = choose(offers=[offer(A, "1", valid_until=date(2027, 2, 1)), offer(B, "2")])
    assert chosen.supplier_id == B


def test_offers_for_other_skus_are_ignored():
    assert isinstance(choose(offers=[offer(A, "1", sku="OTHER")]), Unsourced)
