"""The sales worker: outbox relay, the customer read model, lead conversions, quote expiry."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from tandem_kit.consumer import EventConsumer
from tandem_kit.db import session_factory
from tandem_kit.runtime import Worker, engine_for
from tandem_sales.application.quotes import expire_quotes
from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.bootstrap import unit_of_work_factory
from tandem_sales.events.consumers import (
    CUSTOMER_READ_MODEL_GROUP,
    LEAD_CONVERSIONS_GROUP,
    customer_subscription,
    lead_subscription,
)
from tandem_sales.settings import SalesSettings

log = logging.getLogger("tandem.sales.worker")
EXPIRY_BATCH = 500


def quote_expiry(uow_factory: Callable[[], SalesUnitOfWork], interval_s: float):
    """A worker task: every ``interval_s``, expire draft and sent quotes past their validity."""

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                while True:
                    async with uow_factory() as uow:
                        expired = await expire_quotes(uow, datetime.now(UTC).date(), EXPIRY_BATCH)
                        await uow.commit()
                    if expired:
                        log.info("quotes expired", extra={"count": expired})
                    if expired < EXPIRY_BATCH:  # a full batch: more may be waiting
                        break
            except Exception:
                log.exception("quote expiry failed; trying again next round")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)

    return run


def create_worker(settings: SalesSettings) -> Worker:
    engine = engine_for(settings)
    uow_factory = unit_of_work_factory(session_factory(engine))
    consumers = [
        EventConsumer(
            settings=settings,
            group_id=CUSTOMER_READ_MODEL_GROUP,
            subscriptions=[customer_subscription()],
            uow_factory=uow_factory,
        ),
        EventConsumer(
            settings=settings,
            group_id=LEAD_CONVERSIONS_GROUP,
            subscriptions=[
                lead_subscription(settings.stage_probabilities, settings.default_currency)
            ],
            uow_factory=uow_factory,
        ),
    ]
    return Worker(
        settings=settings,
        engine=engine,
        consumers=consumers,
        tasks=[quote_expiry(uow_factory, settings.quote_expiry_interval_s)],
    )
