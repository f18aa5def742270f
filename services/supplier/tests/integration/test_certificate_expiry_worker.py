"""A certificate past its date suspends the supplier; each event reaches the broker once,
even across a worker restart (real broker, worker with relay and expiry monitor)."""

import asyncio
from datetime import date

from sqlalchemy import select

from tandem_contracts import decode
from tandem_contracts import supplier as published
from tandem_kit.db import create_engine, outbox_table
from tandem_kit.kafka import ensure_topics, make_consumer
from tandem_kit.migrations import upgrade
from tandem_kit.settings import AuthSettings
from tandem_kit.testing.plugin import eventually, unique
from tandem_supplier.application import handlers
from tandem_supplier.application.commands import (
    ChangeSupplierStatus,
    RecordCertification,
    RegisterSupplier,
)
from tandem_supplier.bootstrap import unit_of_work_factory
from tandem_supplier.settings import SupplierSettings
from tandem_supplier.worker import create_worker

TODAY = date(2026, 3, 1)


async def _seed(settings: SupplierSettings):
    from tandem_kit.db import session_factory

    engine = create_engine(settings.database_url)
    uow_factory = unit_of_work_factory(session_factory(engine))
    policy = settings.qualification_policy()

    async def run(handler):
        async with uow_factory() as uow:
            result = await handler(uow)
            await uow.commit()
            return result

    supplier = await run(lambda uow: handlers.register_supplier(
        RegisterSupplier(name=unique("Foods"), legal_id=unique("F"), categories=["food"]), uow))  # fmt: skip
    await run(lambda uow: handlers.record_certification(
        RecordCertification(supplier.id, "HACCP", "SGS", "H-1", date(2025, 1, 1), date(2026, 3, 20)),
        uow, policy=policy))  # fmt: skip
    for action in ("submit", "approve"):
        await run(lambda uow, a=action: handlers.change_supplier_status(
            ChangeSupplierStatus(supplier.id, a), uow, policy=policy, today=TODAY))  # fmt: skip
    await engine.dispose()
    return supplier.id


class _Worker:
    def __init__(self, settings, today):
        self.rounds = 0

        def clock():
            self.rounds += 1
            return today

        self.worker = create_worker(settings, clock=clock)
        self.stop = asyncio.Event()

    async def __aenter__(self):
        self.task = asyncio.create_task(self.worker.run(self.stop))
        return self

    async def __aexit__(self, *exc):
        self.stop.set()
        await asyncio.wait_for(self.task, 30)


async def test_an_expired_mandatory_certificate_suspends_once_across_a_restart(
    kafka_settings, sqlite_url, tmp_path
):
    settings = SupplierSettings(
        database_url=sqlite_url, kafka=kafka_settings, data_dir=tmp_path,
        auth=AuthSettings(development=True), performance_stream_enabled=False,
        required_certifications={"food": ["HACCP"]}, certificate_check_interval_seconds=0.05,
    )  # fmt: skip
    await upgrade(sqlite_url, "tandem_supplier.db:migrations")
    supplier_id = await _seed(settings)
    key = str(supplier_id).encode()
    topics = [published.CERTIFICATIONS.name, published.SUPPLIERS.name]
    await ensure_topics(kafka_settings)  # subscribe to existing topics (no metadata wait)
    consumer = make_consumer(kafka_settings, unique("supplier-test-expiry"), topics)
    await consumer.start()
    seen: list = []

    async def drain():
        batch = await consumer.getmany(timeout_ms=200)
        for messages in batch.values():
            for m in messages:
                if m.key == key:
                    ce_type = dict(m.headers)["ce_type"].decode()
                    topic = (
                        published.CERTIFICATIONS if m.topic == topics[0] else published.SUPPLIERS
                    )
                    seen.append(decode(topic.event_class(ce_type), m.headers, m.value).data)
        return seen

    def kinds():
        return [type(e).__name__ for e in seen]

    try:
        async with _Worker(settings, date(2026, 3, 21)) as first:

            async def suspended():  # two topics: no order between them
                await drain()
                return "CertificationExpired" in kinds() and any(
                    isinstance(e, published.SupplierStatusChanged) and e.status == "suspended"
                    for e in seen
                )

            try:
                await eventually(suspended, timeout=20)
            except AssertionError:
                raise AssertionError(f"seen {kinds()}") from None
            await eventually(lambda: first.rounds >= 3)
        async with _Worker(settings, date(2026, 3, 22)) as second:  # the restarted worker
            await eventually(lambda: second.rounds >= 3)
        await drain()
    finally:
        await consumer.stop()
    expired = [e for e in seen if isinstance(e, published.CertificationExpired)]
    suspensions = [
        e
        for e in seen
        if isinstance(e, published.SupplierStatusChanged) and e.status == "suspended"
    ]
    assert len(expired) == 1 and expired[0].mandatory is True and expired[0].kind == "HACCP"
    assert len(suspensions) == 1 and "HACCP" in suspensions[0].reason
    assert kinds().count("CertificationExpiring") == 0  # first seen after its date: only expired
    # Nothing more was even staged by the restarted worker: one outbox row each, all sent.
    engine = create_engine(sqlite_url)
    async with engine.connect() as conn:
        rows = (await conn.execute(
            select(outbox_table.c.event_type, outbox_table.c.published_at)
            .where(outbox_table.c.message_key == str(supplier_id))
        )).all()  # fmt: skip
    await engine.dispose()
    types = [r.event_type for r in rows]
    assert types.count("tandem.supplier.certification.expired.v1") == 1
    assert (
        types.count("tandem.supplier.supplier.status-changed.v1") == 3
    )  # submit, approve, suspend
    assert all(r.published_at is not None for r in rows)
