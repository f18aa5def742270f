"""The sales worker: outbox relay and the customer read-model consumer."""

from __future__ import annotations

from tandem_kit.consumer import EventConsumer
from tandem_kit.db import session_factory
from tandem_kit.runtime import Worker, engine_for
from tandem_sales.bootstrap import unit_of_work_factory
from tandem_sales.events.consumers import CUSTOMER_READ_MODEL_GROUP, customer_subscription
from tandem_sales.settings import SalesSettings


def create_worker(settings: SalesSettings) -> Worker:
    engine = engine_for(settings)
    sessions = session_factory(engine)
    consumer = EventConsumer(
        settings=settings,
        group_id=CUSTOMER_READ_MODEL_GROUP,
        subscriptions=[customer_subscription()],
        uow_factory=unit_of_work_factory(sessions),
    )
    return Worker(settings=settings, engine=engine, consumers=[consumer])
