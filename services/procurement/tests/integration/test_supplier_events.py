"""Supplier events over a real broker feed the sourcing read model once each (inbox)."""

import asyncio
import uuid
from decimal import Decimal

from aiokafka import AIOKafkaProducer

from tandem_contracts import Envelope, Money
from tandem_contracts import supplier as contract
from tandem_kit.consumer import EventConsumer
from tandem_kit.testing.plugin import eventually, unique
from tandem_procurement.events.consumers import supplier_subscriptions
from tandem_procurement.settings import ProcurementSettings


async def test_supplier_offer_and_standing_events_reach_sourcing(uow, kafka_settings):
    supplier, sku = uuid.uuid4(), f"SKU-{uuid.uuid4().hex[:6]}"
    events = [
        contract.SupplierRegistered(
            supplier_id=supplier,
            version=1,
            name="Acme",
            legal_id="L",
            status="applied",
            categories=["parts"],
        ),
        contract.SupplierStatusChanged(
            supplier_id=supplier,
            version=3,
            name="Acme",
            legal_id="L",
            status="approved",
            categories=["parts"],
            previous_status="under_review",
        ),
        contract.OfferPublished(
            offer_id=uuid.uuid4(),
            supplier_id=supplier,
            version=1,
            sku=sku,
            unit_price=Money(amount=Decimal("12.50"), currency="EUR"),
            lead_time_days=4,
            minimum_order_quantity=Decimal(1),
        ),
        contract.StandingChanged(
            supplier_id=supplier,
            version=2,
            previous_standing=None,
            standing="good",
            score=Decimal("81.5"),
        ),
    ]
    envelopes = [Envelope.wrap(e, subject=str(supplier)) for e in events]
    topics = {
        contract.SupplierRegistered: contract.SUPPLIERS,
        contract.SupplierStatusChanged: contract.SUPPLIERS,
        contract.OfferPublished: contract.OFFERS,
        contract.StandingChanged: contract.SCORECARDS,
    }
    consumer = EventConsumer(
        settings=ProcurementSettings(kafka=kafka_settings),
        group_id=unique("procurement.test-suppliers"),
        subscriptions=supplier_subscriptions(),
        uow_factory=uow,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    await producer.start()
    try:
        for env in envelopes + envelopes[1:2]:  # the approval is delivered twice
            await producer.send_and_wait(
                topics[type(env.data)].name,
                key=str(supplier).encode(),
                value=env.value(),
                headers=env.headers(),
            )

        async def sourced():
            async with uow() as u:
                views = await u.suppliers.suppliers([supplier])
                offers = await u.suppliers.offers_for(sku)
            view = views.get(supplier)
            return view and view.status == "approved" and view.standing == "good" and offers

        await eventually(sourced, timeout=30)
    finally:
        await producer.stop()
        stop.set()
        await task
    async with uow() as u:
        view = (await u.suppliers.suppliers([supplier]))[supplier]
        (offer,) = await u.suppliers.offers_for(sku)
    assert view.score == Decimal("81.5") and view.name == "Acme"
    assert (offer.unit_price, offer.lead_time_days) == (Decimal("12.50"), 4)
