"""The procurement worker: outbox relay, consumers, the Faust demand join, contract expiry."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from tandem_kit.consumer import EventConsumer
from tandem_kit.db import session_factory
from tandem_kit.outbox import OutboxSignal
from tandem_kit.runtime import Worker, engine_for
from tandem_procurement.application.contracts import check_contract_expiry
from tandem_procurement.application.unit_of_work import Clock, ProcurementUnitOfWork, system_clock
from tandem_procurement.bootstrap import unit_of_work_factory
from tandem_procurement.events.consumers import (
    DEMAND_GROUP,
    NET_DEMAND_FETCH_WAIT_MS,
    NET_DEMAND_GATHER_MS,
    NET_DEMAND_GROUP,
    SUPPLIER_GROUP,
    demand_subscriptions,
    net_demand_subscriptions,
    supplier_subscriptions,
)
from tandem_procurement.settings import ProcurementSettings
from tandem_procurement.streams.app import build_demand_join, run_demand_join

log = logging.getLogger(__name__)


def contract_expiry_task(
    uow_factory: Callable[[], ProcurementUnitOfWork], interval_s: float
) -> Callable[[asyncio.Event], object]:
    """A loop that moves due contracts to expiring / expired (published once each)."""

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with uow_factory() as uow:
                    moved = await check_contract_expiry(uow)
                    await uow.commit()
                if moved:
                    log.info("contract expiry", extra={"contracts": [str(c.id) for c in moved]})
            except Exception:
                log.exception("contract expiry check failed; retrying next round")
            try:
                await asyncio.wait_for(stop.wait(), interval_s)
            except TimeoutError:
                pass

    return run


def create_worker(settings: ProcurementSettings, clock: Clock = system_clock) -> Worker:
    engine = engine_for(settings)
    # Requisitions raised by the demand consumer leave at once, not at the relay's next poll.
    outbox_signal = OutboxSignal()
    uow_factory = unit_of_work_factory(session_factory(engine, outbox_signal=outbox_signal), clock)
    consumers = [
        EventConsumer(
            settings=settings,
            group_id=DEMAND_GROUP,
            subscriptions=demand_subscriptions(),
            uow_factory=uow_factory,
        ),
        EventConsumer(
            settings=settings,
            group_id=NET_DEMAND_GROUP,
            subscriptions=net_demand_subscriptions(),
            uow_factory=uow_factory,
            fetch_wait_ms=NET_DEMAND_FETCH_WAIT_MS,
            gather_ms=NET_DEMAND_GATHER_MS,
        ),
        EventConsumer(
            settings=settings,
            group_id=SUPPLIER_GROUP,
            subscriptions=supplier_subscriptions(),
            uow_factory=uow_factory,
        ),
    ]
    tasks = [contract_expiry_task(uow_factory, settings.contract_check_interval_s)]
    if settings.demand_join_enabled:
        tasks.append(demand_join_task(settings, clock))
    return Worker(
        settings=settings,
        engine=engine,
        consumers=consumers,
        tasks=tasks,
        outbox_signal=outbox_signal,
    )


def demand_join_task(
    settings: ProcurementSettings, clock: Clock = system_clock
) -> Callable[[asyncio.Event], object]:
    """The Faust demand join as a worker task (in the worker, or alone: ``streams``)."""
    app = build_demand_join(
        settings.kafka,
        app_id=settings.demand_join_app_id,
        datadir=settings.data_dir / "faust",
        clock=clock,
    )

    async def demand_join(stop: asyncio.Event) -> None:
        await run_demand_join(app, stop)

    return demand_join


def create_streams_worker(settings: ProcurementSettings, clock: Clock = system_clock) -> Worker:
    """`tandem-procurement streams`: the demand join alone, in a process of its own.

    The join keeps its state in Faust tables (changelog topics), not in the database, so this
    process has no engine and no relay; the worker beside it runs with
    ``PROCUREMENT_DEMAND_JOIN_ENABLED=false``. Apart, the join and the demand consumer each
    have an event loop (and a core, where there are enough): lower latency on the way to a
    requisition, more CPU per order (docs/performance.md, finding 15).
    """
    return Worker(settings=settings, engine=None, tasks=[demand_join_task(settings, clock)])

