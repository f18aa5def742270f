"""Every state machine: requisitions, purchase orders, contracts."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tandem_kit.errors import IllegalTransition
from tandem_procurement.domain.approval import default_policy
from tandem_procurement.domain.contract import Contract
from tandem_procurement.domain.errors import InvalidRequest
from tandem_procurement.domain.purchase_order import PurchaseOrder, ReceiptLine
from tandem_procurement.domain.requisition import Requisition
from tandem_procurement.domain.sourcing import Source, Unsourced

POLICY = default_policy()
NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)
SUPPLIER = uuid.uuid4()


def source(price="10", supplier=SUPPLIER, lead=7):
    return Source(supplier, Decimal(price), "EUR", lead, "offer")


def draft(quantity="10", **kw):
    return Requisition.raise_new(requester="buyer-1", lines=[("SKU", Decimal(quantity))], **kw)


def approved(quantity="10", price="10"):
    req = draft(quantity)
    req.submit(POLICY, [source(price)])
    assert req.status == "approved"
    return req


def test_a_draft_goes_to_submitted_then_approved_then_ordered():
    req = draft()
    req.submit(POLICY, [source("150")])
    assert req.status == "submitted"
    req.approve("manager-1", frozenset({"procurement_manager"}), POLICY)
    assert req.status == "approved"
    req.mark_ordered()
    assert req.status == "ordered"
    with pytest.raises(IllegalTransition) as refused:
        req.cancel()
    assert refused.value.allowed == []


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_a_draft_cannot_be_decided(action):
    req = draft()
    with pytest.raises(IllegalTransition) as refused:
        getattr(req, action)("manager-1", frozenset({"admin"}), POLICY)
    assert refused.value.allowed == ["cancel", "resource", "submit"]


def test_a_requisition_without_source_is_unsourced_and_resourced_later():
    req = draft()
    req.submit(POLICY, [Unsourced("no offer")])
    assert req.status == "unsourced" and "no offer" in req.unsourced_reason
    with pytest.raises(IllegalTransition):
        req.submit(POLICY, [source()])
    assert req.resource(POLICY, [source()]) is True
    assert req.status == "approved" and req.unsourced_reason is None


def test_resourcing_to_another_supplier_asks_for_approval_again():
    req = draft()
    req.submit(POLICY, [source("150")])
    req.approve("manager-1", frozenset({"procurement_manager"}), POLICY)
    other = uuid.uuid4()
    assert req.resource(POLICY, [source("160", supplier=other)]) is True
    assert req.status == "submitted" and req.approval_round == 2
    assert req.lines[0].suggested_supplier_id == other
    assert req.resource(POLICY, [source("160", supplier=other)]) is False  # nothing changed


def test_rejected_and_cancelled_requisitions_are_final():
    rejected = draft()
    rejected.submit(POLICY, [source("150")])
    rejected.reject("manager-1", frozenset({"procurement_manager"}), POLICY)
    cancelled = draft()
    cancelled.cancel("not needed")
    for req in (rejected, cancelled):
        for action in ("cancel", "mark_ordered"):
            with pytest.raises(IllegalTransition):
                getattr(req, action)()


def test_reducing_a_requisition_to_nothing_cancels_it():
    req = approved("10")
    assert req.reduce_by(Decimal(4), "less demand") == 4
    assert (req.status, req.quantity) == ("approved", 6)
    assert req.reduce_by(Decimal(10), "order cancelled") == 6
    assert req.status == "cancelled" and req.cancel_reason == "order cancelled"
    assert req.reduce_by(Decimal(1), "again") == 0


def test_an_ordered_requisition_is_not_reduced():
    req = approved()
    req.mark_ordered()
    assert req.reduce_by(Decimal(5), "x") == 0 and req.quantity == 10


def order(quantity="10", lead=7):
    req = approved(quantity)
    return PurchaseOrder.from_requisitions([req], created_by="buyer-1", today=NOW.date()), req


def test_a_purchase_order_is_built_from_approved_requisitions_of_one_supplier():
    po, req = order()
    assert req.status == "ordered" and po.status == "draft"
    assert po.lines[0].promised_date == NOW.date() + timedelta(days=7)
    assert po.requisition_ids == [req.id]
    with pytest.raises(IllegalTransition):
        PurchaseOrder.from_requisitions([draft()], created_by="b", today=NOW.date())


def test_a_purchase_order_runs_from_draft_to_closed():
    po, _ = order()
    po.issue(NOW)
    promised = NOW.date() + timedelta(days=20)
    po.acknowledge(NOW, {po.lines[0].id: promised})
    assert po.status == "acknowledged" and po.lines[0].promised_date == promised
    po.receive([ReceiptLine("SKU", Decimal(3), Decimal(1))], received_by="b", now=NOW)
    assert po.status == "partially_received"
    assert (po.lines[0].quantity_received, po.lines[0].quantity_rejected) == (3, 1)
    with pytest.raises(IllegalTransition):
        po.cancel(NOW)  # nothing is cancelled once goods arrived
    po.receive([ReceiptLine("SKU", Decimal(7), Decimal(0))], received_by="b", now=NOW)
    assert po.status == "received"
    with pytest.raises(IllegalTransition):
        po.receive([ReceiptLine("SKU", Decimal(1), Decimal(0))], received_by="b", now=NOW)
    po.close(NOW)
    assert po.status == "closed"
    with pytest.raises(IllegalTransition) as refused:
        po.issue(NOW)
    assert refused.value.allowed == []


@pytest.mark.parametrize("steps", [[], ["issue"], ["issue", "acknowledge"]])
def test_a_purchase_order_is_cancelled_before_receipt(steps):
    po, _ = order()
    for step in steps:
        getattr(po, step)(NOW)
    po.cancel(NOW, "no longer needed")
    assert po.status == "cancelled"


def test_a_draft_order_cannot_be_acknowledged_received_or_closed():
    po, _ = order()
    with pytest.raises(IllegalTransition) as refused:
        po.acknowledge(NOW)
    assert refused.value.allowed == ["cancel", "issue"]
    with pytest.raises(IllegalTransition):
        po.close(NOW)


def test_receipts_are_checked_against_the_order():
    po, _ = order()
    po.issue(NOW)
    for lines, field in [
        ([], "lines"),
        ([ReceiptLine("OTHER", Decimal(1), Decimal(0))], "lines.0.sku"),
        ([ReceiptLine("SKU", Decimal(11), Decimal(0))], "lines.0.quantity_accepted"),
        ([ReceiptLine("SKU", Decimal(0), Decimal(0))], "lines.0"),
    ]:
        with pytest.raises(InvalidRequest) as refused:
            po.receive(lines, received_by="b", now=NOW)
        assert refused.value.field == field
    assert po.status == "issued"


def contract(valid_until=date(2027, 12, 31), notice=30):
    return Contract.draft(
        supplier_id=SUPPLIER,
        currency="EUR",
        lines=[("SKU", Decimal("9.50"))],
        valid_from=date(2027, 1, 1),
        valid_until=valid_until,
        created_by="manager-1",
        notice_days=notice,
    )


def test_a_contract_expires_in_two_steps_each_once():
    c = contract(valid_until=date(2027, 4, 30))
    c.activate(date(2027, 3, 1))
    assert c.status == "active"
    assert c.check_expiry(date(2027, 3, 31)) is True and c.status == "expiring"
    assert c.check_expiry(date(2027, 4, 15)) is False  # already expiring: not again
    assert c.check_expiry(date(2027, 4, 30)) is False  # the last valid day
    assert c.check_expiry(date(2027, 5, 1)) is True and c.status == "expired"
    assert c.check_expiry(date(2027, 5, 2)) is False
    with pytest.raises(IllegalTransition):
        c.terminate()


def test_a_contract_is_terminated_from_draft_or_in_force_only():
    c = contract()
    c.activate(date(2027, 3, 1))
    c.terminate()
    assert c.status == "terminated"
    with pytest.raises(IllegalTransition) as refused:
        c.activate(date(2027, 3, 1))
    assert refused.value.allowed == []


def test_contract_rules():
    with pytest.raises(InvalidRequest):
        contract(valid_until=date(2026, 1, 1))
    with pytest.raises(InvalidRequest):
        contract(valid_until=date(2027, 2, 1)).activate(date(2027, 3, 1))
    c = contract()
    assert c.price_of("SKU") == Decimal("9.50") and c.price_of("X") is None


def test_one_command_publishes_one_state_per_aggregate():
    req = draft()
    req.submit(POLICY, [source("10")])  # raised, submitted and approved automatically
    assert len(req.pull_events()) == 1
    assert req.pull_events() == []
