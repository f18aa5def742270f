"""The customer service's worker: outbox relay (consumers and SLA checks join it later)."""

from __future__ import annotations

from tandem_customer.settings import CustomerSettings
from tandem_kit.runtime import Worker, engine_for


def create_worker(settings: CustomerSettings) -> Worker:
    return Worker(settings=settings, engine=engine_for(settings))
