"""State and outbox rows commit together; expiry notices are recorded once (SQLite and PostgreSQL)."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tandem_kit.db import create_engine, outbox_table, session_factory
from tandem_kit.errors import IllegalTransition
from tandem_kit.migrations import upgrade
from tandem_supplier.application import handlers
from tandem_supplier.application.commands import (
    ChangeSupplierStatus,
    PublishOffer,
    RecordCertification,
    RegisterSupplier,
)
from tandem_supplier.application.expiry import CertificateExpiryMonitor
from tandem_supplier.application.scorecards import record_scorecard, standing_summary
from tandem_supplier.bootstrap import unit_of_work_factory
from tandem_supplier.db.tables import suppliers
from tandem_supplier.domain.errors import DuplicateSupplier
from tandem_supplier.domain.qualification import QualificationPolicy
from tandem_supplier.domain.scoring import ScoreResult

POLICY = QualificationPolicy.of({"food": ["HACCP"]})
TODAY = date(2026, 3, 1)


@pytest.fixture
async def uow_factory(database_url):
    await upgrade(database_url, "tandem_supplier.db:migrations")
    engine = create_engine(database_url)
    yield unit_of_work_factory(session_factory(engine))
    await engine.dispose()


async def _outbox(uow_factory) -> list:
    async with uow_factory() as uow:
        return list(
            (await uow.session.execute(select(outbox_table).order_by(outbox_table.c.id))).all()
        )


async def _run(uow_factory, handler):
    async with uow_factory() as uow:
        result = await handler(uow)
        await uow.commit()
        return result


async def _approved_food_supplier(uow_factory, valid_until=date(2026, 3, 20)):
    supplier = await _run(
        uow_factory,
        lambda uow: handlers.register_supplier(
            RegisterSupplier(
                name="Fresh Foods", legal_id=f"FF-{uuid.uuid4().hex[:6]}", categories=["food"]
            ),
            uow,
        ),
    )
    cert = await _run(
        uow_factory,
        lambda uow: handlers.record_certification(
            RecordCertification(supplier.id, "HACCP", "SGS", "H-1", date(2025, 1, 1), valid_until),
            uow,
            policy=POLICY,
        ),
    )
    for action in ("submit", "approve"):
        await _run(
            uow_factory,
            lambda uow, a=action: handlers.change_supplier_status(
                ChangeSupplierStatus(supplier.id, a), uow, policy=POLICY, today=TODAY
            ),
        )
    return supplier, cert


async def test_each_change_writes_its_state_and_event_together(uow_factory):
    supplier, _ = await _approved_food_supplier(uow_factory)
    await _run(
        uow_factory,
        lambda uow: handlers.publish_offer(
            PublishOffer(
                supplier.id,
                "APPLE",
                Decimal("0.30"),
                "EUR",
                2,
                Decimal(100),
            ),
            uow,
        ),
    )
    rows = await _outbox(uow_factory)
    assert [(r.topic, r.event_type.split(".", 2)[2]) for r in rows] == [
        ("supplier.suppliers.v1", "supplier.registered.v1"),
        ("supplier.certifications.v1", "certification.recorded.v1"),
        ("supplier.suppliers.v1", "supplier.status-changed.v1"),
        ("supplier.suppliers.v1", "supplier.status-changed.v1"),
        ("supplier.offers.v1", "offer.published.v1"),
    ]
    assert all(r.message_key == str(supplier.id) for r in rows[:4])


async def test_a_refused_command_writes_nothing(uow_factory):
    supplier, _ = await _approved_food_supplier(uow_factory)
    before = len(await _outbox(uow_factory))
    with pytest.raises(IllegalTransition):
        await _run(
            uow_factory,
            lambda uow: handlers.change_supplier_status(
                ChangeSupplierStatus(supplier.id, "submit"), uow, policy=POLICY, today=TODAY
            ),
        )
    with pytest.raises(DuplicateSupplier):
        await _run(
            uow_factory,
            lambda uow: handlers.register_supplier(
                RegisterSupplier(name="FRESH foods ltd", legal_id="other", categories=["food"]), uow
            ),
        )
    assert len(await _outbox(uow_factory)) == before
    async with uow_factory() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(suppliers)) == 1


async def test_expiry_warns_once_expires_once_and_suspends_even_across_restarts(uow_factory):
    supplier, _ = await _approved_food_supplier(uow_factory, valid_until=date(2026, 3, 20))
    day = {"today": TODAY}

    def monitor():  # a fresh monitor each time stands for a restarted worker
        return CertificateExpiryMonitor(
            uow_factory, policy=POLICY, horizon_days=30, interval=60, clock=lambda: day["today"]
        )

    assert (await monitor().run_once()).warned == 1
    assert (await monitor().run_once()).warned == 0
    day["today"] = date(2026, 3, 21)
    outcome = await monitor().run_once()
    assert (outcome.expired, outcome.suspended) == (1, 1)
    assert (await monitor().run_once()).expired == 0
    day["today"] = date(2026, 4, 30)
    assert (await monitor().run_once()).expired == 0
    types = [r.event_type for r in await _outbox(uow_factory)]
    assert types.count("tandem.supplier.certification.expiring.v1") == 1
    assert types.count("tandem.supplier.certification.expired.v1") == 1
    assert types[-1] == "tandem.supplier.supplier.status-changed.v1"
    async with uow_factory() as uow:
        reloaded = await uow.suppliers.get(supplier.id)
        assert reloaded.status == "suspended" and "HACCP" in reloaded.status_reason


async def test_a_valid_renewal_keeps_the_supplier_approved(uow_factory):
    supplier, _ = await _approved_food_supplier(uow_factory, valid_until=date(2026, 3, 20))
    await _run(
        uow_factory,
        lambda uow: handlers.record_certification(
            RecordCertification(
                supplier.id, "HACCP", "SGS", "H-2", date(2026, 3, 1), date(2027, 3, 20)
            ),
            uow,
            policy=POLICY,
        ),
    )
    monitor = CertificateExpiryMonitor(
        uow_factory, policy=POLICY, horizon_days=30, interval=60, clock=lambda: date(2026, 3, 25)
    )
    outcome = await monitor.run_once()
    assert (outcome.expired, outcome.suspended) == (1, 0)


async def test_a_scorecard_is_stored_once_per_change_and_summarised(uow_factory):
    supplier, _ = await _approved_food_supplier(uow_factory)
    at = datetime(2026, 3, 5, tzinfo=UTC)
    result = ScoreResult(Decimal("70.00"), "watch", TODAY - timedelta(days=89), TODAY, at, [])
    assert await _run(uow_factory, lambda uow: record_scorecard(supplier.id, result, uow)) is True
    assert await _run(uow_factory, lambda uow: record_scorecard(supplier.id, result, uow)) is False
    types = [r.event_type for r in await _outbox(uow_factory)]
    assert types[-2:] == [
        "tandem.supplier.scorecard.updated.v1",
        "tandem.supplier.scorecard.standing-changed.v1",
    ]
    async with uow_factory() as uow:
        summary = await standing_summary(uow)
    assert summary == {"excellent": 0, "good": 0, "watch": 1, "probation": 0, "unscored": 0}
