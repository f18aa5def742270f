"""What procurement consumes: thin handlers that parse an event and hand it to a use case."""

from __future__ import annotations

from decimal import Decimal

from tandem_contracts import Envelope
from tandem_contracts import procurement as own
from tandem_contracts import supplier as contract
from tandem_contracts.consumers import group
from tandem_kit.consumer import LatestState, Subscription
from tandem_procurement.application import demand
from tandem_procurement.application.commands import RecordOrderLineDemand
from tandem_procurement.application.unit_of_work import ProcurementUnitOfWork
from tandem_procurement.domain.sourcing import OfferTerms

DEMAND_GROUP = group("procurement.demand").group_id
NET_DEMAND_GROUP = group("procurement.net-demand").group_id
# The net demand view may trail the join by up to half a second more: fewer, larger fetches
# (more of a SKU's states superseded within one, one transaction per group), and no net demand
# event queued ahead of an order line on its way to a requisition. Kafka answers such a fetch as
# soon as a record arrives; the embedded broker holds it for the whole wait.
NET_DEMAND_FETCH_WAIT_MS = 500
# While orders flow, it reads at most every half second too (the kit consumer's gather_ms):
# more of each SKU's states superseded per fetch, and a few fetches and commits a second. Under
# order intake: about 0.3 ms less of this worker's CPU per order (docs/performance.md, finding
# 30). GET /demand may then trail an order by about 1.5 s on the embedded broker.
NET_DEMAND_GATHER_MS = 500
SUPPLIER_GROUP = group("procurement.supplier-read-model").group_id
NOT_SOURCEABLE = {"suspended", "blocked", "rejected"}


async def on_order_line_demand(
    envelope: Envelope[own.OrderLineDemandChanged], uow: ProcurementUnitOfWork
) -> None:
    d = envelope.data
    await demand.when_order_line_demand_changed(
        RecordOrderLineDemand(
            order_id=d.order_id,
            line_id=d.line_id,
            sku=d.sku,
            order_version=d.order_version,
            order_status=d.order_status,
            ordered_quantity=d.ordered_quantity,
            open_quantity=d.open_quantity,
            requested_date=d.requested_date,
        ),
        uow,
    )


async def on_net_demand(
    envelope: Envelope[own.NetDemandChanged], uow: ProcurementUnitOfWork
) -> None:
    d = envelope.data
    await uow.net_demand.record(
        d.sku,
        version=d.version,
        ordered=d.ordered_quantity,
        covered=d.covered_quantity,
        net=d.net_quantity,
        as_of=d.as_of,
    )


def net_demand_supersedes(
    later: Envelope[own.NetDemandChanged], earlier: Envelope[own.NetDemandChanged]
) -> bool:
    """The view keeps a SKU's newer version or later as_of: one as new by both makes the
    earlier one's write pointless."""
    return later.data.version >= earlier.data.version and later.data.as_of >= earlier.data.as_of


def demand_subscriptions() -> list[Subscription]:
    return [Subscription(own.ORDER_DEMAND, {own.OrderLineDemandChanged: on_order_line_demand})]


def net_demand_subscriptions() -> list[Subscription]:
    return [
        Subscription(
            own.DEMAND,
            {own.NetDemandChanged: on_net_demand},
            latest=LatestState(key=lambda e: e.data.sku, supersedes=net_demand_supersedes),
        ),
    ]


async def on_supplier(
    envelope: Envelope[contract.SupplierSnapshot], uow: ProcurementUnitOfWork
) -> None:
    d = envelope.data
    previous = await uow.suppliers.record_supplier(
        d.supplier_id, name=d.name, status=d.status, version=d.version, at=envelope.time
    )
    if previous is None or previous == d.status:
        return
    if d.status in NOT_SOURCEABLE or previous == "approved":
        await demand.when_supplier_status_changed(d.supplier_id, uow)
    if d.status == "approved":
        for sku in await uow.suppliers.skus_of(d.supplier_id):
            await demand.when_supply_appeared(sku, uow)


async def on_offer(envelope: Envelope[contract.OfferPublished], uow: ProcurementUnitOfWork) -> None:
    d = envelope.data
    applied = await uow.suppliers.record_offer(
        OfferTerms(
            offer_id=d.offer_id,
            supplier_id=d.supplier_id,
            sku=d.sku,
            unit_price=d.unit_price.amount,
            currency=d.unit_price.currency,
            lead_time_days=d.lead_time_days,
            minimum_order_quantity=d.minimum_order_quantity,
            valid_from=d.valid_from,
            valid_until=d.valid_until,
        ),
        version=d.version,
        withdrawn=False,
        at=envelope.time,
    )
    if applied:
        await demand.when_supply_appeared(d.sku, uow)


async def on_offer_withdrawn(
    envelope: Envelope[contract.OfferWithdrawn], uow: ProcurementUnitOfWork
) -> None:
    d = envelope.data
    applied = await uow.suppliers.record_offer(
        OfferTerms(d.offer_id, d.supplier_id, d.sku, Decimal(0), "XXX", 0),
        version=d.version,
        withdrawn=True,
        at=envelope.time,
    )
    if applied:
        await demand.when_offer_withdrawn(d.supplier_id, d.sku, uow)


async def on_scorecard(
    envelope: Envelope[contract.ScorecardUpdated], uow: ProcurementUnitOfWork
) -> None:
    d = envelope.data
    await uow.suppliers.record_standing(
        d.supplier_id, standing=d.standing, score=d.score, version=d.version, at=envelope.time
    )


async def on_standing(
    envelope: Envelope[contract.StandingChanged], uow: ProcurementUnitOfWork
) -> None:
    d = envelope.data
    applied = await uow.suppliers.record_standing(
        d.supplier_id, standing=d.standing, score=d.score, version=d.version, at=envelope.time
    )
    if not applied:
        return
    if d.standing == "probation":
        # Probation means no new purchase orders: its open requisitions go elsewhere.
        await demand.when_supplier_status_changed(d.supplier_id, uow)
    elif d.previous_standing == "probation":
        for sku in await uow.suppliers.skus_of(d.supplier_id):
            await demand.when_supply_appeared(sku, uow)


def supplier_subscriptions() -> list[Subscription]:
    snapshots = [e for e in contract.SUPPLIERS.events if issubclass(e, contract.SupplierSnapshot)]
    return [
        Subscription(contract.SUPPLIERS, {e: on_supplier for e in snapshots}),
        Subscription(
            contract.OFFERS,
            {contract.OfferPublished: on_offer, contract.OfferWithdrawn: on_offer_withdrawn},
        ),
        Subscription(
            contract.SCORECARDS,
            {contract.ScorecardUpdated: on_scorecard, contract.StandingChanged: on_standing},
        ),
    ]
