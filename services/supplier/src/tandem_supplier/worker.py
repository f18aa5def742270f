"""The supplier worker: outbox relay, certificate expiry checks and the performance stream.

The Faust app runs inside this process as one of the worker's tasks (not a second command):
one deployment, one health endpoint, and the stream shares the process's database engine.
Scale it by running more workers; Faust splits the partitions between them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import date

from tandem_kit.db import session_factory
from tandem_kit.runtime import Worker, engine_for
from tandem_supplier.application.expiry import CertificateExpiryMonitor
from tandem_supplier.application.scorecards import record_scorecard
from tandem_supplier.application.unit_of_work import SupplierUnitOfWork
from tandem_supplier.bootstrap import unit_of_work_factory, utc_today
from tandem_supplier.domain.scoring import ScoreResult
from tandem_supplier.settings import SupplierSettings
from tandem_supplier.streams.performance import PerformanceStream, build_performance_stream

log = logging.getLogger("tandem.supplier.worker")


def scorecard_writer(
    uow_factory: Callable[[], SupplierUnitOfWork], *, max_backoff: float = 5.0
) -> Callable[[uuid.UUID, ScoreResult], object]:
    """The stream's hand-over: store a result, retrying until the database takes it.

    Retrying here (rather than letting the agent crash) keeps the fact's offset uncommitted
    until its scorecard is stored; the write is idempotent, so a retry never double counts.
    """

    async def write(supplier_id: uuid.UUID, result: ScoreResult) -> None:
        delay = 0.05
        while True:
            try:
                async with uow_factory() as uow:
                    await record_scorecard(supplier_id, result, uow)
                    await uow.commit()
                return
            except Exception:
                log.exception("storing a scorecard failed; retrying")
                await asyncio.sleep(delay)
                delay = min(delay * 2, max_backoff)

    return write


def performance_stream(
    settings: SupplierSettings, uow_factory: Callable[[], SupplierUnitOfWork]
) -> PerformanceStream:
    return build_performance_stream(
        app_id=settings.performance_app_id,
        kafka=settings.kafka,
        policy=settings.scoring_policy(),
        on_result=scorecard_writer(uow_factory),
        partitions=settings.performance_partitions,
        data_dir=settings.performance_data_dir or settings.data_dir / "faust",
    )


def create_worker(settings: SupplierSettings, *, clock: Callable[[], date] = utc_today) -> Worker:
    engine = engine_for(settings)
    uow_factory = unit_of_work_factory(session_factory(engine))
    monitor = CertificateExpiryMonitor(
        uow_factory,
        policy=settings.qualification_policy(),
        horizon_days=settings.certificate_expiry_horizon_days,
        interval=settings.certificate_check_interval_seconds,
        clock=clock,
        batch_size=settings.certificate_check_batch_size,
    )
    tasks = [monitor.run]
    if settings.performance_stream_enabled:
        tasks.append(performance_stream(settings, uow_factory).run)
    return Worker(settings=settings, engine=engine, tasks=tasks)
