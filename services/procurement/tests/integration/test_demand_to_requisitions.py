"""The hand-over from the demand join to requisitions, on SQLite and PostgreSQL."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from tandem_contracts import Envelope, Money
from tandem_contracts import supplier as supplier_contract
from tandem_kit.db import outbox_table
from tandem_procurement.application.commands import (
    Actor,
    CreatePurchaseOrders,
    PurchaseOrderAction,
    RecordOrderLineDemand,
)
from tandem_procurement.application.demand import when_order_line_demand_changed
from tandem_procurement.application.purchasing import act_on_purchase_order, create_purchase_orders
from tandem_procurement.events.consumers import on_offer, on_standing, on_supplier

ORDER, LINE = uuid.uuid4(), uuid.uuid4()
SUPPLIER, OTHER = uuid.uuid4(), uuid.uuid4()
AT = datetime(2027, 3, 1, tzinfo=UTC)


def demand(version, open_qty, status="confirmed", requested=date(2027, 4, 1)):
    return RecordOrderLineDemand(
        order_id=ORDER,
        line_id=LINE,
        sku="SKU-1",
        order_version=version,
        order_status=status,
        ordered_quantity=Decimal(10),
        open_quantity=Decimal(open_qty),
        requested_date=requested,
    )


async def supplier_event(uow, supplier_id, status, version=1):
    event = supplier_contract.SupplierChanged(
        supplier_id=supplier_id,
        version=version,
        name="S",
        legal_id="L",
        status=status,
        categories=["parts"],
    )
    async with uow() as u:
        await on_supplier(Envelope.wrap(event, subject=str(supplier_id)), u)
        await u.commit()


async def offer_event(uow, supplier_id, price, lead=5):
    event = supplier_contract.OfferPublished(
        offer_id=uuid.uuid4(),
        supplier_id=supplier_id,
        version=1,
        sku="SKU-1",
        unit_price=Money(amount=Decimal(price), currency="EUR"),
        lead_time_days=lead,
        minimum_order_quantity=Decimal(1),
    )
    async with uow() as u:
        await on_offer(Envelope.wrap(event, subject=str(event.offer_id)), u)
        await u.commit()


async def apply(uow, cmd):
    async with uow() as u:
        await when_order_line_demand_changed(cmd, u)
        await u.commit()


async def requisitions(uow):
    async with uow() as u:
        return await u.requisitions.for_order_line(LINE)


async def test_demand_becomes_one_sourced_requisition_and_redelivery_changes_nothing(uow):
    await supplier_event(uow, SUPPLIER, "approved")
    await offer_event(uow, SUPPLIER, "50")
    await apply(uow, demand(2, 10))
    await apply(uow, demand(2, 10))  # redelivered
    await apply(uow, demand(1, 10, status="draft"))  # older version, late
    (req,) = await requisitions(uow)
    assert req.quantity == 10 and req.origin == "demand" and req.requester == "system:demand"
    assert req.lines[0].suggested_supplier_id == SUPPLIER
    assert req.status == "approved"  # 500 EUR: below the automatic approval threshold
    assert req.needed_by == date(2027, 4, 1)


async def test_more_demand_adds_a_requisition_and_less_reduces_then_cancels(uow):
    await supplier_event(uow, SUPPLIER, "approved")
    await offer_event(uow, SUPPLIER, "50")
    await apply(uow, demand(2, 10))
    await apply(uow, demand(3, 14))
    assert sorted(r.quantity for r in await requisitions(uow)) == [4, 10]
    await apply(uow, demand(4, 8))  # newest first: the 4 goes, then 2 off the 10
    reqs = {r.status: r for r in await requisitions(uow)}
    assert reqs["cancelled"].quantity == 0 and reqs["approved"].quantity == 8
    await apply(uow, demand(5, 0, "cancelled"))
    assert {r.status for r in await requisitions(uow)} == {"cancelled"}
    assert "demand withdrawn" in (await requisitions(uow))[0].cancel_reason


async def test_ordered_requisitions_stay_when_the_order_is_cancelled(uow, clock):
    await supplier_event(uow, SUPPLIER, "approved")
    await offer_event(uow, SUPPLIER, "50")
    await apply(uow, demand(2, 10))
    (req,) = await requisitions(uow)
    async with uow() as u:
        (po,) = await create_purchase_orders(CreatePurchaseOrders(Actor("buyer-1"), (req.id,)), u)
        await u.commit()
    await apply(uow, demand(3, 0, "cancelled"))
    (req,) = await requisitions(uow)
    assert req.status == "ordered"  # its purchase order exists; buyers decide about it
    async with uow() as u:
        await act_on_purchase_order(PurchaseOrderAction(po.id, "cancel", Actor("buyer-1")), u)
        await u.commit()
    (req,) = await requisitions(uow)
    assert req.status == "cancelled"


async def test_no_source_is_unsourced_and_a_new_offer_sources_it(uow):
    await apply(uow, demand(2, 10))
    (req,) = await requisitions(uow)
    assert req.status == "unsourced" and "no active contract and no offer" in req.unsourced_reason
    await supplier_event(uow, SUPPLIER, "approved")
    await offer_event(uow, SUPPLIER, "50")
    (req,) = await requisitions(uow)
    assert req.status == "approved" and req.lines[0].suggested_supplier_id == SUPPLIER


async def test_a_suspended_supplier_gets_its_open_requisitions_resourced(uow):
    for s, price in ((SUPPLIER, "50"), (OTHER, "60")):
        await supplier_event(uow, s, "approved")
        await offer_event(uow, s, price)
    await apply(uow, demand(2, 10))
    assert (await requisitions(uow))[0].lines[0].suggested_supplier_id == SUPPLIER
    await supplier_event(uow, SUPPLIER, "suspended", version=2)
    (req,) = await requisitions(uow)
    assert req.lines[0].suggested_supplier_id == OTHER and req.status == "approved"
    await supplier_event(uow, OTHER, "blocked", version=2)
    (req,) = await requisitions(uow)
    assert req.status == "unsourced" and "suspended" in req.unsourced_reason


async def test_probation_moves_open_requisitions_elsewhere(uow):
    for s, price in ((SUPPLIER, "50"), (OTHER, "60")):
        await supplier_event(uow, s, "approved")
        await offer_event(uow, s, price)
    await apply(uow, demand(2, 10))
    event = supplier_contract.StandingChanged(
        supplier_id=SUPPLIER,
        version=3,
        previous_standing="watch",
        standing="probation",
        score=Decimal(30),
    )
    async with uow() as u:
        await on_standing(Envelope.wrap(event, subject=str(SUPPLIER)), u)
        await u.commit()
    assert (await requisitions(uow))[0].lines[0].suggested_supplier_id == OTHER


async def test_a_promise_after_the_requested_date_flags_the_line_at_risk(uow, sessions):
    await supplier_event(uow, SUPPLIER, "approved")
    await offer_event(uow, SUPPLIER, "50", lead=5)
    await apply(uow, demand(2, 10, requested=date(2027, 3, 20)))
    async with uow() as u:
        (line,) = await u.demand.for_order(ORDER)
        assert line.at_risk is False
        (req,) = await u.requisitions.for_order_line(LINE)
        (po,) = await create_purchase_orders(CreatePurchaseOrders(Actor("b"), (req.id,)), u)
        await u.commit()
    async with uow() as u:
        await act_on_purchase_order(PurchaseOrderAction(po.id, "issue", Actor("b")), u)
        await u.commit()
    late = {po.lines[0].id: date(2027, 3, 1) + timedelta(days=40)}
    async with uow() as u:
        await act_on_purchase_order(
            PurchaseOrderAction(po.id, "acknowledge", Actor("b"), promised_dates=late), u
        )
        await u.commit()
    async with uow() as u:
        (line,) = await u.demand.for_order(ORDER)
    assert line.at_risk is True and "promised for 2027-04-10" in line.at_risk_reason
    async with sessions() as s:
        types = [r.event_type for r in (await s.execute(select(outbox_table))).all()]
    assert types.count("tandem.procurement.order-line-supply.at-risk.v1") == 1
    assert "tandem.procurement.purchase-order.acknowledged.v1" in types
