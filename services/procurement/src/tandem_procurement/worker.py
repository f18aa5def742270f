"""The procurement service's worker: outbox relay."""

from __future__ import annotations

from tandem_kit.runtime import Worker, engine_for
from tandem_procurement.settings import ProcurementSettings


def create_worker(settings: ProcurementSettings) -> Worker:
    return Worker(settings=settings, engine=engine_for(settings))
