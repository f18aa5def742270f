"""The credit rule: status, currency and limit, checked when an order is confirmed."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tandem_sales.domain.customers import CustomerAccount, merged_open_total
from tandem_sales.domain.errors import ConfirmationRefused
from tandem_sales.domain.orders import OrderLine, OrderStatus, SalesOrder


def account(limit="1000", currency="EUR", status="active", **kw) -> CustomerAccount:
    return CustomerAccount(
        id=kw.pop("id", uuid.uuid4()),
        name="Acme",
        status=status,
        credit_limit=Decimal(limit),
        currency=currency,
        version=1,
        updated_at=datetime.now(UTC),
        **kw,
    )


def order(total="100", currency="EUR", customer=None) -> SalesOrder:
    return SalesOrder.draft(
        customer_id=customer or uuid.uuid4(),
        currency=currency,
        lines=[OrderLine(uuid.uuid4(), "SKU-1", Decimal(1), Decimal(total))],
    )


def refusal(fn) -> ConfirmationRefused:
    with pytest.raises(ConfirmationRefused) as info:
        fn()
    return info.value


def test_an_order_exactly_at_the_limit_is_confirmed():
    acct = account("1000")
    first, second = order("600"), order("400")
    first.confirm(acct)
    second.confirm(acct)
    assert acct.open_total == Decimal("1000")
    assert acct.available == 0
    assert second.status == OrderStatus.CONFIRMED
    assert second.credit_account_id == acct.id


def test_an_order_one_cent_over_the_limit_is_refused_with_the_figures():
    acct = account("1000")
    order("999.99").confirm(acct)
    late = order("0.02")
    error = refusal(lambda: late.confirm(acct))
    assert error.reason == "credit_limit_exceeded"
    assert error.status_code == 409
    body = error.body()
    assert body["available"] == {"amount": "0.01", "currency": "EUR"}
    assert body["order_total"]["amount"] == "0.02"
    assert late.status == OrderStatus.DRAFT
    assert acct.open_total == Decimal("999.99")


def test_cancelling_a_confirmed_order_frees_its_credit():
    acct = account("1000")
    big = order("800")
    big.confirm(acct)
    refusal(lambda: order("300").confirm(acct))
    big.cancel("customer changed their mind", acct)
    assert acct.open_total == 0
    again = order("300")
    again.confirm(acct)
    assert acct.open_total == Decimal("300")


def test_a_fulfilled_order_still_counts_until_it_is_closed():
    acct = account("1000")
    shipped = order("700")
    shipped.confirm(acct)
    shipped.fulfil()
    assert refusal(lambda: order("400").confirm(acct)).reason == "credit_limit_exceeded"
    shipped.close(acct)
    order("400").confirm(acct)
    assert acct.open_total == Decimal("400")


def test_an_order_in_another_currency_is_refused_not_converted():
    acct = account("1000", currency="EUR")
    error = refusal(lambda: order("10", currency="USD").confirm(acct))
    assert error.reason == "currency_mismatch"
    assert error.status_code == 422
    assert error.body()["credit_currency"] == "EUR"
    assert acct.open_total == 0


def test_open_orders_left_in_an_old_credit_currency_block_new_ones():
    acct = account("1000", currency="EUR")
    order("100").confirm(acct)
    acct.currency = "USD"  # the customer's credit currency changed
    assert refusal(lambda: order("10", "USD").confirm(acct)).reason == (
        "open_orders_in_other_currency"
    )


@pytest.mark.parametrize("status", ["blocked", "on_hold", "archived", "merged"])
def test_a_customer_not_in_good_standing_gets_no_confirmed_orders(status):
    acct = account(status=status)
    error = refusal(lambda: order("1").confirm(acct))
    assert error.reason == f"customer_{status}"
    assert error.body()["customer_status"] == status
    assert error.body()["field"] == "customer_id"


@pytest.mark.parametrize("status", ["prospect", "active"])
def test_prospects_and_active_customers_may_order(status):
    order("1").confirm(account(status=status))


def test_what_is_open_on_merged_customers_counts_against_the_survivor():
    survivor = account("1000")
    tombstone = account("5000")
    order("700").confirm(tombstone)  # confirmed before the merge
    tombstone.status, tombstone.merged_into = "merged", survivor.id
    merged = merged_open_total(survivor, [tombstone])
    assert merged == Decimal("700")
    assert refusal(lambda: order("301").confirm(survivor, merged_open=merged)).reason == (
        "credit_limit_exceeded"
    )
    confirmed = order("300", customer=tombstone.id)
    confirmed.confirm(survivor, merged_open=merged)
    assert confirmed.customer_id == survivor.id


def test_growing_a_confirmed_order_is_checked_and_shrinking_it_is_not():
    acct = account("1000")
    o = order("600")
    o.confirm(acct)
    lines = [OrderLine(uuid.uuid4(), "SKU-1", Decimal(2), Decimal("600"))]
    assert refusal(lambda: o.change_lines(lines, holder=acct, account=acct)).reason == (
        "credit_limit_exceeded"
    )
    acct.open_total = Decimal("600")  # the refused change is rolled back by the unit of work
    acct.status = "blocked"
    o.change_lines(
        [OrderLine(uuid.uuid4(), "SKU-1", Decimal(1), Decimal("200"))], holder=acct, account=acct
    )
    assert acct.open_total == Decimal("200")
    assert o.total == Decimal("200")
