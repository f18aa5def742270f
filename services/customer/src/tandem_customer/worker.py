"""The customer worker: outbox relay, the customer-value consumer and the SLA breach scan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from tandem_customer.application.records import detect_breaches
from tandem_customer.application.unit_of_work import CustomerUnitOfWork
from tandem_customer.bootstrap import unit_of_work_factory
from tandem_customer.events.consumers import (
    CUSTOMER_VALUE_FETCH_WAIT_MS,
    CUSTOMER_VALUE_GATHER_MS,
    CUSTOMER_VALUE_GROUP,
    order_subscription,
)
from tandem_customer.settings import CustomerSettings, rules_of
from tandem_kit.consumer import EventConsumer
from tandem_kit.db import session_factory
from tandem_kit.runtime import Worker, engine_for

log = logging.getLogger("tandem.customer.sla")


async def scan_for_breaches(
    uow_factory: Callable[[], CustomerUnitOfWork], *, batch_size: int, at: datetime | None = None
) -> int:
    """One pass: every newly breached SLA is recorded and published in its ticket's transaction."""
    moment = at or datetime.now(UTC)
    async with uow_factory() as uow:
        candidates = await uow.tickets.breach_candidates(moment, batch_size)
    found = 0
    for ticket_id in candidates:
        try:
            async with uow_factory() as uow:
                found += len(await detect_breaches(uow, ticket_id, moment))
                await uow.commit()
        except (StaleDataError, IntegrityError):
            # Another worker (or a user) changed the ticket first; the next pass looks again.
            log.info(
                "ticket changed during the SLA check; retrying later",
                extra={"ticket": str(ticket_id)},
            )
    return found


def sla_task(uow_factory: Callable[[], CustomerUnitOfWork], settings: CustomerSettings):
    """A worker loop that scans for SLA breaches every ``sla_check_interval_ms``."""

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                found = await scan_for_breaches(uow_factory, batch_size=settings.sla_batch_size)
                if found:
                    log.info("SLA breaches recorded", extra={"count": found})
            except Exception:
                log.exception("SLA scan failed; trying again next period")
            try:
                await asyncio.wait_for(stop.wait(), settings.sla_check_interval_ms / 1000)
            except TimeoutError:
                pass

    return run


def create_worker(settings: CustomerSettings) -> Worker:
    engine = engine_for(settings)
    uow_factory = unit_of_work_factory(session_factory(engine), rules_of(settings))
    consumer = EventConsumer(
        settings=settings,
        group_id=CUSTOMER_VALUE_GROUP,
        subscriptions=[order_subscription()],
        uow_factory=uow_factory,
        fetch_wait_ms=CUSTOMER_VALUE_FETCH_WAIT_MS,
        gather_ms=CUSTOMER_VALUE_GATHER_MS,
    )
    return Worker(
        settings=settings,
        engine=engine,
        consumers=[consumer],
        tasks=[sla_task(uow_factory, settings)],
    )
