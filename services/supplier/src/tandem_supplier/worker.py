"""The supplier service's worker: outbox relay."""

from __future__ import annotations

from tandem_kit.runtime import Worker, engine_for
from tandem_supplier.settings import SupplierSettings


def create_worker(settings: SupplierSettings) -> Worker:
    return Worker(settings=settings, engine=engine_for(settings))
