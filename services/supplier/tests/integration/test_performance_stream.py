"""The performance stream on a real broker: procurement events in, scorecard and standing out.

Purchase orders and receipts are produced as procurement's contract events (late, short and
rejected deliveries); the stream runs as a worker task beside the outbox relay. Replaying the
same records, and replaying everything through a fresh app, leaves the scorecard unchanged.
"""

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tandem_contracts import Envelope, Money, decode
from tandem_contracts import procurement as contract
from tandem_contracts import supplier as published
from tandem_kit.db import create_engine, outbox_table, session_factory
from tandem_kit.kafka import ensure_topics, make_consumer, make_producer
from tandem_kit.migrations import upgrade
from tandem_kit.runtime import Worker
from tandem_kit.testing.plugin import eventually, unique
from tandem_supplier.application import handlers
from tandem_supplier.application.commands import RegisterSupplier
from tandem_supplier.bootstrap import unit_of_work_factory
from tandem_supplier.domain.scoring import ScoringPolicy
from tandem_supplier.streams.performance import build_performance_stream
from tandem_supplier.worker import scorecard_writer

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
PROMISED = date(2026, 3, 10)


def _po(supplier_id, po_id, price, version=1, **extra):
    cls = (
        contract.PurchaseOrderAcknowledged
        if "acknowledged_at" in extra
        else contract.PurchaseOrderIssued
    )
    return cls(
        purchase_order_id=po_id, supplier_id=supplier_id, version=version,
        status="acknowledged" if version > 1 else "issued", issued_at=T0,
        lines=[contract.PurchaseOrderLine(line_id=uuid.uuid5(po_id, "1"), sku="SKU-1", quantity=Decimal(100),
                                          unit_price=Money(amount=Decimal(price), currency="EUR"),
                                          promised_date=PROMISED)],
        **extra,
    )  # fmt: skip


def _receipt(supplier_id, po_id, at, accepted, rejected="0"):
    return contract.GoodsReceived(
        receipt_id=uuid.uuid4(), purchase_order_id=po_id, supplier_id=supplier_id, received_at=at,
        lines=[contract.ReceiptLine(sku="SKU-1", quantity_accepted=Decimal(accepted), quantity_rejected=Decimal(rejected))],
    )  # fmt: skip


def scenario(supplier_id):
    """(topic, key, headers, value) records: one good, one late and dear, one short and rejected."""
    po1, po2, po3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    agreement = contract.ContractChanged(
        contract_id=uuid.uuid4(), supplier_id=supplier_id, version=1, status="active",
        valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31),
    )  # fmt: skip
    events = [
        (contract.CONTRACTS, agreement.contract_id, agreement),
        (contract.PURCHASE_ORDERS, po1, _po(supplier_id, po1, "10.00")),
        (
            contract.PURCHASE_ORDERS,
            po1,
            _po(supplier_id, po1, "10.00", 2, acknowledged_at=T0 + timedelta(hours=2)),
        ),
        (
            contract.PURCHASE_ORDERS,
            po1,
            _receipt(supplier_id, po1, datetime(2026, 3, 9, 10, tzinfo=UTC), "100"),
        ),
        (contract.PURCHASE_ORDERS, po2, _po(supplier_id, po2, "12.50")),
        (
            contract.PURCHASE_ORDERS,
            po2,
            _po(supplier_id, po2, "12.50", 2, acknowledged_at=T0 + timedelta(days=3)),
        ),
        (
            contract.PURCHASE_ORDERS,
            po2,
            _receipt(supplier_id, po2, datetime(2026, 3, 12, 10, tzinfo=UTC), "100"),
        ),
        (contract.PURCHASE_ORDERS, po3, _po(supplier_id, po3, "10.00")),
        (
            contract.PURCHASE_ORDERS,
            po3,
            _receipt(supplier_id, po3, datetime(2026, 3, 10, 10, tzinfo=UTC), "60", "20"),
        ),
    ]
    records = []
    for topic, key, event in events:
        envelope = Envelope.wrap(event, subject=str(key))
        value = envelope.value()
        if isinstance(event, contract.ContractChanged):  # contract prices (procurement's lines)
            value = (
                value[:-1]
                + b',"lines":[{"sku":"SKU-1","unit_price":{"amount":"10.00","currency":"EUR"}}]}'
            )
        records.append((topic.name, str(key).encode(), envelope.headers(), value))
    return records


async def _produce(kafka_settings, records):
    producer = make_producer(kafka_settings, unique("test-procurement"))
    await producer.start()
    try:
        for topic, key, headers, value in records:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


@pytest.fixture
async def service(sqlite_url):
    await upgrade(sqlite_url, "tandem_supplier.db:migrations")
    engine = create_engine(sqlite_url)
    uow_factory = unit_of_work_factory(session_factory(engine))
    async with uow_factory() as uow:
        supplier = await handlers.register_supplier(
            RegisterSupplier(name=unique("Supplier"), legal_id=unique("L"), categories=["steel"]),
            uow,
        )
        await uow.commit()
    yield engine, uow_factory, supplier.id
    await engine.dispose()


class _Running:
    """A supplier worker: outbox relay + performance stream (with a unique app id)."""

    def __init__(self, kafka_settings, engine, uow_factory, tmp_path):
        from tandem_supplier.settings import SupplierSettings

        settings = SupplierSettings(
            database_url=str(engine.url), kafka=kafka_settings, data_dir=tmp_path
        )
        stream = build_performance_stream(
            app_id=unique("supplier-performance-test"), kafka=kafka_settings,
            policy=ScoringPolicy(), on_result=scorecard_writer(uow_factory), partitions=2,
        )  # fmt: skip
        self.worker = Worker(settings=settings, engine=engine, tasks=[stream.run])
        self.stop = asyncio.Event()

    async def __aenter__(self):
        self.task = asyncio.create_task(self.worker.run(self.stop))
        return self

    async def __aexit__(self, *exc):
        self.stop.set()
        await asyncio.wait_for(self.task, 60)


def facts_scored() -> float:
    """Facts the score agent has handled in this process (the stream's own metric)."""
    from prometheus_client import REGISTRY

    kinds = ("OrderSnapshot", "Receipt", "ContractTerms")
    return sum(
        REGISTRY.get_sample_value("tandem_supplier_performance_facts_total", {"kind": k}) or 0
        for k in kinds
    )


async def _card(uow_factory, supplier_id):
    async with uow_factory() as uow:
        return await uow.scorecards.get(supplier_id)


async def _scorecard_rows(uow_factory, supplier_id):
    async with uow_factory() as uow:
        rows = (await uow.session.execute(
            select(outbox_table.c.event_type).where(outbox_table.c.message_key == str(supplier_id))
        )).scalars().all()  # fmt: skip
    return [r for r in rows if ".scorecard." in r]


async def test_late_short_and_rejected_deliveries_score_and_replays_do_not_double_count(
    kafka_settings, service, tmp_path
):
    engine, uow_factory, supplier_id = service
    await ensure_topics(kafka_settings)
    records = scenario(supplier_id)
    relevant = len(records)
    baseline = facts_scored()
    async with _Running(kafka_settings, engine, uow_factory, tmp_path):
        await _produce(kafka_settings, records)
        await eventually(lambda: facts_scored() >= baseline + relevant, timeout=90)
        card = await _card(uow_factory, supplier_id)
        criteria = {c["criterion"]: c["score"] for c in card.criteria}
        assert criteria == {
            "on_time_delivery": "33.33",  # po2 late, po3 incomplete after its date
            "in_full_delivery": "66.67",  # po3 short (80 of 100)
            "quality_acceptance": "92.86",  # 260 of 280 accepted
            "price_vs_contract": "93.33",  # po2 paid 12.50 against 10.00
            "acknowledgement_responsiveness": "33.33",  # po2 after 72 h, po3 never
        }
        assert card.score == Decimal("63.88") and card.standing == "watch"
        assert card.effect == "warn"
        first = (card.version, card.score, card.criteria)
        published_rows = await _scorecard_rows(uow_factory, supplier_id)

        # The same records again (redelivery): same state, no new scorecard version or event.
        await _produce(kafka_settings, records)
        await eventually(lambda: facts_scored() >= baseline + 2 * relevant, timeout=90)
        card = await _card(uow_factory, supplier_id)
        assert (card.version, card.score, card.criteria) == first
        assert await _scorecard_rows(uow_factory, supplier_id) == published_rows

    # A fresh app (empty table, new group) replays every record from the start.
    baseline = facts_scored()
    async with _Running(kafka_settings, engine, uow_factory, tmp_path):
        await eventually(lambda: facts_scored() >= baseline + 2 * relevant, timeout=120)
        card = await _card(uow_factory, supplier_id)
        assert (card.version, card.score, card.criteria) == first
        assert await _scorecard_rows(uow_factory, supplier_id) == published_rows

    # What procurement reads: the standing change went out through the outbox.
    consumer = make_consumer(
        kafka_settings, unique("supplier-test-reader"), [published.SCORECARDS.name]
    )
    await consumer.start()
    try:
        seen = []

        async def standing_published():
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                for m in messages:
                    if m.key == str(supplier_id).encode():
                        topic = published.SCORECARDS
                        ce_type = dict(m.headers)["ce_type"].decode()
                        seen.append(decode(topic.event_class(ce_type), m.headers, m.value).data)
            return any(isinstance(e, published.StandingChanged) for e in seen)

        await eventually(standing_published, timeout=30)
    finally:
        await consumer.stop()
    changed = [e for e in seen if isinstance(e, published.StandingChanged)]
    assert [(e.standing, e.effect) for e in changed][-1] == ("watch", "warn")
